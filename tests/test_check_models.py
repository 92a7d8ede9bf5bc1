"""check() on models practitioners write: subclassed models (built or not), big bases (depth), silent problems."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from kernest.cli import main

L = keras.layers


class Backboned(keras.Model):
    """A subclassed model holding a functional backbone and a head."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        x = keras.Input((16,))
        self.backbone = keras.Model(x, L.Dense(8, name="fc1")(x), name="backbone")
        self.head = L.Dense(3, name="head")

    def call(self, inputs):
        return self.head(self.backbone(inputs))


class NarrowHead(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        x = keras.Input((16,))
        self.backbone = keras.Model(x, L.Dense(8, name="fc1")(x), name="backbone")
        y = keras.Input((4,))
        self.head = keras.Model(y, L.Dense(3, name="out")(y), name="head")

    def call(self, inputs):
        return self.head(self.backbone(inputs))


@pytest.mark.core
def test_built_subclassed_model_is_traced_in_call_order():
    model = Backboned(name="net")
    model(np.zeros((2, 16), "float32"))
    report = kernest.check(model)
    consumers = [i.consumer for i in report.interfaces]
    assert consumers.index("backbone") < consumers.index("head")
    assert "backbone/fc1" in consumers


@pytest.mark.core
def test_unbuilt_subclassed_model_with_input_has_no_fake_mismatch():
    report = kernest.check(Backboned(name="net"), input=keras.Input((16,)))
    assert any(i.consumer == "head" and i.shape == "(batch, 8)" for i in report.interfaces)


@pytest.mark.core
def test_subclassed_mismatch_names_path_and_interface():
    with pytest.raises(kernest.InterfaceError) as raised:
        kernest.check(NarrowHead(name="net"), input=keras.Input((16,)))
    assert raised.value.path == "head"
    assert raised.value.interface == "backbone -> head"
    assert "Dense(4)" in raised.value.fix and "Input(shape=(8,))" in raised.value.fix


def test_unbuilt_subclassed_model_without_input_says_what_to_pass():
    with pytest.raises(kernest.KernestError, match="not been called yet.*input="):
        kernest.check(Backboned(name="net"))


def _deep_plain_model():
    x = keras.Input((8,), name="x")
    h = x
    for i in range(30):
        h = L.Dense(8, name=f"d{i}")(h)
    base = keras.Model(x, h, name="base")
    inp = keras.Input((8,), name="features")
    return keras.Model(inp, L.Dense(2, name="cls")(base(inp)), name="clf")


def test_default_report_shows_submodel_boundaries_only_and_depth_shows_more():
    model = _deep_plain_model()
    report = kernest.check(model)
    shown = str(report)
    assert len(report.interfaces) > 30
    assert "base/d17" not in shown and "-> base" in shown and "--depth" in shown
    deep = str(kernest.check(model, depth=2))
    assert "base/d17" in deep


def test_cli_depth_and_strict(tmp_path, capsys):
    script = tmp_path / "m.py"
    script.write_text(
        "import keras\n"
        "x = keras.Input((8,), name='x')\n"
        "h = x\n"
        "for i in range(12):\n"
        "    h = keras.layers.Dense(8, name=f'd{i}')(h)\n"
        "base = keras.Model(x, h, name='base')\n"
        "inp = keras.Input((8,), name='features')\n"
        "model = keras.Model(inp, keras.layers.Dense(2, name='cls')(base(inp)), name='clf')\n"
    )
    assert main(["check", str(script)]) == 0
    assert "base/d7" not in capsys.readouterr().out
    assert main(["check", "--depth", "2", "--strict", str(script)]) == 0
    assert "base/d7" in capsys.readouterr().out


def test_report_renders_html_for_notebooks():
    html = kernest.check(_deep_plain_model())._repr_html_()
    assert "<table>" in html and "base" in html


def _tagger():
    ids = keras.Input((5,), name="ids")
    tower = keras.Sequential([L.Embedding(10, 4, name="emb"), L.GlobalAveragePooling1D(name="pool")], name="tower")
    return keras.Model(ids, L.Dense(2, name="out")(tower(ids)), name="tagger")


@pytest.mark.core
@pytest.mark.parametrize(
    "data, needle",
    [
        (np.random.rand(8, 5).astype("float32"), "Discretization(num_bins=10)"),
        (np.full((8, 5), 12, "int32"), "Embedding(13, 4)"),
    ],
    ids=["fractions", "ids-past-range"],
)
def test_data_that_embeddings_silently_mangle_is_a_warning(data, needle):
    with pytest.warns(kernest.KernestWarning, match="tower/emb"):
        report = kernest.check(_tagger(), data=data)
    assert any(needle in w and "tower/emb: data -> emb" in w for w in report.warnings)


@pytest.mark.core
def test_good_ids_give_no_warning():
    report = kernest.check(_tagger(), data=np.random.randint(0, 10, (8, 5)))
    assert report.warnings == []
