from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def _weights_by_path(model, skip=()):
    return {
        path: [np.asarray(w) for w in kernest.get(model, path).weights]
        for path in kernest.paths(model)
        if not any(path == s or path.startswith(s + "/") or s.startswith(path + "/") or s == path for s in skip)
    }


def test_replace_depth1_keeps_other_weights():
    model = models.depth3()
    new = kernest.replace(model, "head", L.Dense(1, name="head2"))
    assert kernest.paths(new)[-1] == "head2"
    before, after = _weights_by_path(model, skip=["head"]), _weights_by_path(new, skip=["head2"])
    for path, ws in before.items():
        for a, b in zip(ws, after[path]):
            np.testing.assert_array_equal(a, b)


def test_replace_depth3_rebuilds_parents_and_leaves_original_alone():
    model = models.depth3()
    new = kernest.replace(model, "middle/inner/dense", L.Dense(3, name="dense3"))
    assert kernest.paths(new) == ["middle", "middle/inner", "middle/inner/dense3", "middle/dense", "head"]
    assert kernest.paths(model) == ["middle", "middle/inner", "middle/inner/dense", "middle/dense", "head"]
    assert kernest.get(new, "middle/dense") is kernest.get(model, "middle/dense")
    assert new.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 1)


def test_replace_inside_over_with_an_equal_copy_gives_equal_predictions():
    model = models.word_model()
    old = kernest.get(model, "per_word/char_cnn")
    copy = keras.models.clone_model(old)
    copy.set_weights(old.get_weights())
    new = kernest.replace(model, "per_word/char_cnn", copy)
    x = models.char_ids()
    np.testing.assert_allclose(new.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert kernest.get(new, "head") is kernest.get(model, "head")
    assert isinstance(kernest.get(new, "per_word"), kernest.Over)


def test_replace_a_layer_deep_inside_over():
    model = models.word_model()
    new = kernest.replace(model, "per_word/char_cnn/conv", L.Conv1D(8, 5, padding="same", name="conv5"))
    assert "per_word/char_cnn/conv5" in kernest.paths(new)
    assert new.predict(models.char_ids(), verbose=0).shape == (4, 3)


def test_replace_incompatible_output_names_the_interface():
    model = models.word_model()
    with pytest.raises(kernest.InterfaceError, match=r"per_word/char_cnn/conv -> per_word/char_cnn/pool.*expected") as info:
        kernest.replace(model, "per_word/char_cnn/conv", L.Conv1D(9, 3, padding="same", name="c9"))
    err = info.value
    assert err.expected == "(batch*words, chars=8, filters=8)"
    assert err.received == "(batch*words, chars=8, filters=9)"
    assert "c9" in err.fix


def test_replace_incompatible_input_names_the_interface():
    with pytest.raises(kernest.InterfaceError, match=r"chars -> per_word/char_cnn.*expected \(batch\*words, 7\)"):
        kernest.replace(models.word_model(), "per_word/char_cnn", models.char_cnn(chars=7, name="cnn7"))
    with pytest.raises(kernest.InterfaceError, match=r"middle/dense -> head"):
        kernest.replace(models.depth3(), "middle/dense", L.Dense(5))


def test_replace_inside_bidirectional_or_custom_layer_says_what_to_do():
    with pytest.raises(kernest.KernestError, match="Replace 'word_lstm' as a whole"):
        kernest.replace(models.word_model(), "word_lstm/forward_lstm", L.LSTM(5, name="lstm2"))
    with pytest.raises(kernest.KernestError, match="Replace 'block' as a whole"):
        kernest.replace(models.with_custom_block(), "block/proj", L.Dense(4))


def test_replace_unknown_path():
    with pytest.raises(kernest.PathError, match="middle/inner/dense"):
        kernest.replace(models.depth3(), "middle/inner/dens", L.Dense(3))


def test_replace_shared_submodel_replaces_both_calls():
    new = kernest.replace(models.shared_twice(), "encoder", models.mlp((4,), "enc2", input_dim=3))
    assert kernest.paths(new)[:2] == ["enc2", "enc2/dense_0"]
    row = next(r for r in kernest.summary(new).rows if r.path == "enc2")
    assert len(row.calls) == 2
