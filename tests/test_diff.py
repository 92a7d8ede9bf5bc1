from __future__ import annotations

import json

import keras
import pytest

import kernest
from kernest.cli import main
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def test_same_structure_has_no_changes():
    a = models.word_model()
    keras.backend.clear_session(free_memory=False)  # the same auto-generated names (forward_lstm) in the second model
    d = kernest.diff(a, models.word_model())
    assert not d and d.changes == []
    assert "0 added, 0 removed, 0 changed" in str(d)


def test_replaced_layer_inside_over_is_added_and_removed():
    a = models.word_model()
    b = kernest.replace(a, "per_word/char_cnn/conv", L.Conv1D(8, 5, padding="same", name="conv5"))
    d = kernest.diff(a, b)
    assert [c.path for c in d.added] == ["per_word/char_cnn/conv5"]
    assert [c.path for c in d.removed] == ["per_word/char_cnn/conv"]
    assert d.params == (925, 1021)
    assert "+ per_word/char_cnn/conv5  Conv1D" in str(d)


def test_changed_shapes_params_and_trainable_at_depth_3():
    a = models.depth3()
    b = kernest.replace(a, "middle/inner/dense", L.Dense(3, name="dense"))
    kernest.freeze(b, "middle/inner/dense")  # the new layer: b shares every other layer with a
    d = kernest.diff(a, b)
    changes = {c.path: c for c in d.changed}
    assert set(changes) == {"middle", "middle/inner", "middle/inner/dense"}
    assert changes["middle/inner/dense"].fields == ("trainable",)
    assert "trainable: yes -> partly" in changes["middle"].describe()
    c = kernest.diff(models.char_cnn(filters=8), models.char_cnn(filters=4))
    conv = next(x for x in c.changed if x.path == "conv")
    assert conv.fields == ("output_shape", "params")
    assert "params: 152 -> 76" in conv.describe()
    data = json.loads(c.to_json())
    assert data["changes"][0]["before"]["path"] == data["changes"][0]["path"]


def test_cli_diff(tmp_path, capsys):
    a, b = tmp_path / "a.keras", tmp_path / "b.keras"
    kernest.save(models.char_cnn(filters=8), a)
    kernest.save(models.char_cnn(filters=4), b)
    assert main(["diff", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "~ conv  output_shape" in out and "2 changed" in out


def test_diff_has_an_html_table_for_notebooks():
    a = models.depth3()
    b = kernest.replace(a, "head", L.Dense(2, name="head"))
    html = kernest.diff(a, b)._repr_html_()
    assert "<table>" in html and "0 added, 0 removed, 1 changed" in html
    assert "<td style=\"text-align:left\">head</td>" in html and "params: 3 -&gt; 6" in html
