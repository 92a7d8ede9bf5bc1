"""kernest on a seventh batch of real nested models (tests/models_7.py, each from the public code it cites):
DETR's learned object queries and dict of outputs, an LSTM encoder-decoder with Masking whose state crosses
from one model into another, keras.layers.Pipeline and adapted preprocessing in a dict-input preprocessor
model, FNet's Fourier mixing, a learnable resizer model of any image size in front of a fixed-size classifier,
involution layers building a Sequential in build(), an image captioner whose decoder makes its own masks, and
gMLP's spatial gating. Every feature runs on each (the checks are tests/real_world_checks.py); each works and
gives the right answer, and a deliberate interface break of each is explained with its real names."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_7 as m7
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

CHEAP = {m7.masked_seq2seq, m7.tabular_pipeline, m7.fnet}  # the resizer: 20 s of compiles on JAX
# the two transformers take seconds each to copy, save and train on CPU: bench/real_world_7.py runs those three
# on them (outputs compared, frozen weights kept), the suite does not
HEAVY = {m7.detr, m7.image_captioning}


def specs(core: bool = False, light: bool = False) -> list[object]:
    """SPECS as parameters; with ``core=True`` the cheap ones are marked ``core``; ``light`` leaves out HEAVY."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (core and s.build in CHEAP))
            for s in m7.SPECS if not (light and s.build in HEAVY)]


@pytest.mark.parametrize("spec", specs(core=True))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(light=True))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m7.outputs_of)


@pytest.mark.parametrize("spec", specs(light=True))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m7.outputs_of, tmp_path)


@pytest.mark.parametrize("spec", specs(core=True))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))


@pytest.mark.parametrize("spec", specs(light=True))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m7.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch ------------------------------------------------------------------

def _gelu_model() -> keras.Model:
    """keras.io ViViT's MLP pattern: an unnamed Sequential whose Dense layers hold ``keras.ops.gelu`` (the tanh
    approximation), after a MultiHeadAttention (it names its own dropout and softmax anew in every copy)."""
    tokens = keras.Input((4, 8), name="tokens")
    x = L.MultiHeadAttention(2, 4, name="attention")(tokens, tokens) + tokens
    mlp = keras.Sequential([L.Dense(16, activation=ops.gelu), L.Dense(8, activation=ops.gelu)], name="mlp")
    return keras.Model(tokens, L.Dense(3, name="head")(mlp(x)), name="gelu_net")


def test_a_function_that_keras_saves_by_another_name_survives_save_and_replace(tmp_path):
    # not ``core``: the swap is Keras' on every backend (the same 2.3e-4 on each), and JAX compiles for 6 s
    model = _gelu_model()
    x = np.random.default_rng(0).normal(size=(2, 4, 8)).astype("float32") * 3
    want = checks.arrays(model(x))[0]
    path = kernest.save(model, tmp_path / "m.keras")
    plain = keras.saving.load_model(path)  # Keras alone reads "gelu" back as keras.activations.gelu (exact)
    assert plain.get_layer("mlp").layers[0].activation is keras.activations.gelu
    assert np.abs(checks.arrays(plain(x))[0] - want).max() > 1e-5
    loaded = kernest.load(path)
    assert loaded.get_layer("mlp").layers[0].activation is ops.gelu
    np.testing.assert_array_equal(checks.arrays(loaded(x))[0], want)
    swapped = kernest.replace(model, "head", L.Dense(3, name="new_head"))  # the rest is copied from configs
    swapped.get_layer("new_head").set_weights(model.get_layer("head").get_weights())
    assert swapped.get_layer("mlp") is not model.get_layer("mlp")
    np.testing.assert_array_equal(checks.arrays(swapped(x))[0], want)


@pytest.mark.core
def test_diff_leaves_out_the_batch_size_a_sequential_was_first_built_on():
    x = keras.Input((4,), name="x")
    first = keras.Sequential([L.Dense(3, name="fc")], name="block")
    first(np.zeros((2, 4), "float32"))  # built by a call on data: Keras fixes its input at (2, 4)
    on_data = keras.Model(x, first(x), name="m")
    symbolic = keras.Model(x, keras.Sequential([L.Dense(3, name="fc")], name="block")(x), name="m")
    assert "batch=2" in str(kernest.summary(on_data, depth=2))  # the summary still says what Keras holds
    assert not kernest.diff(on_data, symbolic).changes
    wider = keras.Model(x, keras.Sequential([L.Dense(5, name="fc")], name="block")(x), name="m")
    assert [c.path for c in kernest.diff(on_data, wider).changes] == ["block", "block/fc"]


@pytest.mark.core
def test_a_feature_width_behind_a_free_steps_axis_is_explained_as_a_width():
    steps = keras.Input((None, 3), name="steps")
    norm = L.Normalization(name="norm")
    norm.adapt(np.random.default_rng(0).normal(size=(8, 5, 3)).astype("float32"))
    model = keras.Model(steps, L.Dense(1, name="out")(L.LSTM(4, name="lstm")(norm(steps))), name="tagger")
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.zeros((2, 5, 2), "float32"))
    err = str(kernest.explain(info.value, model))
    assert "gives 2 features but tagger was built for 3" in err, err
    assert "norm is made for 3 features" in err and "Declare the varying axes" not in err, err
    query, doc = keras.Input((None, 3), name="query"), keras.Input((None, 3), name="doc")
    pooled = [L.GlobalAveragePooling1D()(L.Dense(4)(t)) for t in (query, doc)]
    pair = keras.Model([query, doc], L.Dot(axes=1)(pooled), name="pair")
    with pytest.raises(ValueError) as info, kernest.trace():
        pair([np.zeros((2, 5, 3), "float32"), np.zeros((2, 5, 2), "float32")])
    err = str(kernest.explain(info.value, pair))
    assert "its input 'doc' as keras.Input(shape=(None, 2))" in err, err
