from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def test_freeze_depth1_2_3_and_inside_over():
    model = models.depth3()
    assert kernest.freeze(model, "head") == ["head"]
    assert kernest.freeze(model, "middle/dense") == ["middle/dense"]
    assert kernest.freeze(model, "middle/inner/dense") == ["middle/inner/dense"]
    assert model.trainable_weights == []
    wm = models.word_model()
    changed = kernest.freeze(wm, "per_word/char_cnn/*")
    assert changed == ["per_word/char_cnn/embed", "per_word/char_cnn/conv", "per_word/char_cnn/pool"]
    assert len(wm.trainable_weights) == len(wm.weights) - 3


def test_freeze_submodel_reports_every_changed_path_and_unfreeze_restores():
    model = models.word_model()
    assert kernest.freeze(model, "per_word") == [
        "per_word", "per_word/char_cnn", "per_word/char_cnn/embed", "per_word/char_cnn/conv", "per_word/char_cnn/pool"]
    assert kernest.freeze(model, "per_word") == []  # nothing left to change
    assert len(kernest.unfreeze(model, "**")) == 5
    assert len(model.trainable_weights) == len(model.weights)


def test_unfreeze_one_layer_inside_a_frozen_submodel():
    model = models.depth3()
    kernest.freeze(model, "middle")
    changed = kernest.unfreeze(model, "middle/inner/dense")
    assert changed == ["middle", "middle/inner", "middle/inner/dense"]
    expected = kernest.get(model, "middle/inner/dense").weights + kernest.get(model, "head").weights
    assert {id(w) for w in model.trainable_weights} == {id(w) for w in expected}  # inner/dense and head, no more
    assert kernest.get(model, "middle/dense").trainable is False


def test_glob_matching_nothing_warns_and_returns_empty():
    with pytest.warns(kernest.KernestWarning, match="matches no path"):
        assert kernest.freeze(models.word_model(), "per_word/*/lstm*") == []
    with pytest.raises(kernest.PathError, match="Nearest"):
        kernest.freeze(models.word_model(), "per_word/char_cnn/cnv")
    # a misspelt literal step before the glob: the pattern with the nearest path of as many steps
    with pytest.warns(kernest.KernestWarning, match=r"Did you mean freeze\(model, 'per_word/char_cnn/\*\*'\)"):
        kernest.freeze(models.word_model(), "per_word/char/**")
    # a part named from the top that sits deeper: the pattern with the path to it
    with pytest.warns(kernest.KernestWarning, match=r"Did you mean freeze\(model, 'per_word/char_cnn/\*'\)"):
        kernest.freeze(models.word_model(), "char_cnn/*")
    # ... and where it sits at several places, the pattern under '**'
    with pytest.warns(kernest.KernestWarning, match=r"Did you mean unfreeze\(model, '\*\*/inner/\*'\)"):
        kernest.unfreeze(_two_inners(), "inner/*")


def _two_inners() -> keras.Model:
    """Two branches, each holding its own model named ``inner``: paths left/inner/d and right/inner/d."""
    branches = []
    for name in ("left", "right"):
        y = keras.Input((3,))
        branches.append(keras.Model(y, keras.Model(y, keras.layers.Dense(3, name="d")(y), name="inner")(y), name=name))
    z = keras.Input((3,), name="z")
    return keras.Model(z, keras.layers.Add()([b(z) for b in branches]), name="two")


def test_freeze_after_compile_warns_and_recompile_keeps_the_config():
    model = models.depth3()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    with pytest.warns(kernest.KernestWarning, match="recompile"):
        kernest.freeze(model, "middle/inner")
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernest.KernestWarning)
        kernest.freeze(model, "middle/dense", recompile=True)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    assert model.get_compile_config()["loss"] == "mse"
    assert model.get_compile_config()["metrics"] == ["mae"]


def _bn_data():
    rng = np.random.default_rng(0)
    return rng.normal(3.0, 2.0, size=(32, 4)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")


def test_frozen_batchnorm_in_nested_model_keeps_its_moving_statistics():
    model = models.with_batchnorm()
    x, y = _bn_data()
    bn = kernest.get(model, "inner/bn")
    kernest.freeze(model, "inner/bn")
    model.compile(optimizer="adam", loss="mse")
    mean, var = np.array(bn.moving_mean), np.array(bn.moving_variance)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_array_equal(np.array(bn.moving_mean), mean)
    np.testing.assert_array_equal(np.array(bn.moving_variance), var)


def test_unfrozen_batchnorm_does_update_its_statistics():
    model = models.with_batchnorm()
    x, y = _bn_data()
    bn = kernest.get(model, "inner/bn")
    model.compile(optimizer="adam", loss="mse")
    mean = np.array(bn.moving_mean)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.allclose(np.array(bn.moving_mean), mean)


def _frozen_then_trained():
    model = models.depth3()
    kernest.freeze(model, "middle")
    model.compile(optimizer="adam", loss="mse")
    x, y = np.ones((8, 4), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, epochs=1, verbose=0)  # the optimizer is built for the head's 2 variables
    return model, x, y


def test_unfreezing_after_training_without_recompile_breaks_the_optimizer():
    # Keras 3.15: "... whereas the optimizer was built with 2 variables" (JAX) / "Unknown variable" (TF, torch)
    model, x, y = _frozen_then_trained()
    with pytest.warns(kernest.KernestWarning):
        kernest.unfreeze(model, "middle")
    with pytest.raises(ValueError, match="optimizer"):
        model.train_on_batch(x, y)


def test_recompile_true_avoids_the_optimizer_error():
    model, x, y = _frozen_then_trained()
    kernest.unfreeze(model, "middle", recompile=True)
    before = np.array(kernest.get(model, "middle/inner/dense").kernel)
    model.train_on_batch(x, y)
    assert not np.allclose(np.array(kernest.get(model, "middle/inner/dense").kernel), before)
