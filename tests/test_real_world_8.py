"""kernest on an eighth batch of real nested models (tests/models_8.py, each from the public code it cites):
keras.io's Perceiver (a learned latent array refined by a cross-attention model on a dict of inputs and a
transformer model, the same two called in each iteration), ConvMixer with its stem and blocks as models, the
functional API guide's ensemble of averaged models, custom RNN cells (in ``Bidirectional(RNN(cell))`` and
stacked in one ``RNN``), and keras.io's ConvLSTM next-frame predictor on 5-D video under a preprocessing model.
Every feature runs on each (the checks are tests/real_world_checks.py); each works and gives the right answer,
and a deliberate interface break of each is explained with its real names."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_8 as m8
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers

# core: the ensemble, and the RNN cells' explain (JAX compiles their loop for 4 s in the summary's check;
# ConvMixer's convolutions for 8 s)
CHEAP = {m8.ensemble}
CHEAP_EXPLAIN = {m8.ensemble, m8.rnn_cells}
# the Perceiver's attention and the ConvLSTM's steps take seconds to trace, copy, save and train on CPU:
# bench/real_world_8.py runs extract, replace, save and freeze on them (outputs compared, frozen weights kept),
# the suite does not
HEAVY = {m8.perceiver, m8.conv_lstm}


def specs(core: set | None = None, light: bool = False) -> list[object]:
    """SPECS as parameters; those built by a builder in ``core`` are marked ``core``; ``light`` leaves out HEAVY."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (s.build in (core or set())))
            for s in m8.SPECS if not (light and s.build in HEAVY)]


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs(light=True))
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(light=True))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m8.outputs_of)


@pytest.mark.parametrize("spec", specs(light=True))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m8.outputs_of, tmp_path)


@pytest.mark.parametrize("spec", specs(core=CHEAP_EXPLAIN))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))


@pytest.mark.parametrize("spec", specs(light=True))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m8.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch ------------------------------------------------------------------

@keras.saving.register_keras_serializable(package=m8.PACKAGE)
class ShapedPerceiver(m8.Perceiver):
    """keras.io's Perceiver with a ``compute_output_shape``, as custom layers often have: Keras then builds the
    functional model without running ``call``, so the sublayers ``call`` uses eagerly record no shapes until data
    goes through, while the reloaded copy records them (and names their axes) when Keras rebuilds it."""

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.classifier_units[-1])


def test_diff_of_a_reloaded_model_ignores_shapes_only_one_side_recorded(tmp_path):
    images = keras.Input((8, 8, 3), name="images")
    layer = ShapedPerceiver(2, 16, 4, 8, 2, 1, [8, 8], 0.1, 1, [8, 3], name="perceiver")
    model = keras.Model(images, layer(images), name="shaped")
    x = np.random.default_rng(0).random((2, 8, 8, 3)).astype("float32")
    # the sublayers call() uses have no weights to save yet; the patcher, which makes none, is not named
    with pytest.warns(kernest.KernestWarning, match=r"perceiver/patch_encoder/projection.*not built yet.*Call the model") as seen:
        kernest.save(model, tmp_path / "unbuilt.keras")
    assert not any("patcher" in str(w.message) for w in seen), [str(w.message) for w in seen]
    m8.outputs_of(model, x)  # builds them (Keras records no shapes for them: no graph node)
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    checks.close(m8.outputs_of(loaded, x), m8.outputs_of(model, x))
    assert not kernest.diff(model, loaded).changes, str(kernest.diff(model, loaded))
    # that a size that differs is still reported: tests/test_diff.py


def test_a_width_that_came_with_the_data_is_not_blamed_on_the_layer_before_the_failure():
    # not ``core``: JAX compiles the convolution for 4 s; bench/real_world_8.py runs ConvMixer's break on all three
    image = keras.Input((6, 6, 3), name="image")
    stem = keras.Model(image, L.Conv2D(4, 3, name="conv")(L.Rescaling(1 / 255, name="scale")(image)), name="stem")
    images = keras.Input((6, 6, 3), name="images")
    model = keras.Model(images, L.GlobalAveragePooling2D(name="gap")(stem(images)), name="net")
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.zeros((2, 6, 6, 1), "float32"))  # grey images: Keras lets a trailing 1 pass both Inputs
    err = str(kernest.explain(info.value, model))
    assert "data -> net" in err and ("data gives 1 features but net was built for 3" in err
                                     or "input 'images' was declared (batch, 6, 6, 3) and gets (batch, 6, 6, 1)" in err), err
    assert "compute_output_shape" not in err and "scale declares" not in err, err
