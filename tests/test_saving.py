from __future__ import annotations

import os
import zipfile

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def _roundtrip(model, x, tmp_path, name="m.keras"):
    path = kernest.save(model, tmp_path / name)
    loaded = kernest.load(path)
    got, want = loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    for g, w in zip(keras.tree.flatten(got), keras.tree.flatten(want)):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    return loaded


def test_flagship_roundtrips_with_identical_predictions(tmp_path):
    model = models.word_model()
    loaded = _roundtrip(model, models.char_ids(), tmp_path)
    assert isinstance(kernest.get(loaded, "per_word"), kernest.Over)
    assert kernest.paths(loaded) == kernest.paths(model)
    assert os.listdir(tmp_path) == ["m.keras"]  # no temp file left behind


def test_depth3_shared_twice_and_over_over_roundtrip(tmp_path):
    _roundtrip(models.depth3(), np.ones((2, 4), "float32"), tmp_path, "d3.keras")
    x = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    _roundtrip(models.shared_twice(), [x, x + 1], tmp_path, "s2.keras")
    ids = np.random.default_rng(0).integers(1, models.ALPHABET, size=(2, 3, 4, 5)).astype("int32")
    _roundtrip(models.over_over(), ids, tmp_path, "oo.keras")


def test_models_from_extract_and_replace_roundtrip(tmp_path):
    model = models.word_model()
    x = models.char_ids()
    _roundtrip(kernest.extract(model, ["per_word/char_cnn/conv", "per_word/char_cnn/embed", "head"]), x, tmp_path,
               "e.keras")
    _roundtrip(kernest.extract(model, "word_lstm/backward_lstm"), x, tmp_path, "b.keras")
    new = kernest.replace(model, "per_word/char_cnn/conv", L.Conv1D(8, 5, padding="same", name="conv5"))
    _roundtrip(new, x, tmp_path, "r.keras")


def test_layer_shared_between_models_is_detected_and_refused(tmp_path):
    model = models.shared_across()
    assert kernest.shared_across_models(model) == [("shared_dense", ["sub/shared_dense", "shared_dense"])]
    assert kernest.shared_across_models(models.shared_twice()) == []  # called twice in one graph is fine
    with pytest.raises(kernest.KernestError, match="'shared_dense' at sub/shared_dense and shared_dense"):
        kernest.save(model, tmp_path / "shared.keras")
    assert not os.listdir(tmp_path)


@pytest.mark.filterwarnings("ignore:Skipping nested container")
def test_keras_really_cannot_load_the_shared_pattern(tmp_path):
    model = models.shared_across()
    model.save(tmp_path / "raw.keras")
    with pytest.raises(kernest.KernestError, match="shared_dense.*expected 2 variables"):
        kernest.load(tmp_path / "raw.keras")


def test_lambda_file_in_safe_mode_is_an_unsafe_model_error(tmp_path):
    x = keras.Input((3,))
    model = keras.Model(x, L.Lambda(lambda t: t * 2.0, name="double")(x))
    model.save(tmp_path / "lam.keras")
    with pytest.raises(kernest.UnsafeModelError, match="safe_mode=False.*--unsafe"):
        kernest.load(tmp_path / "lam.keras")
    loaded = kernest.load(tmp_path / "lam.keras", safe_mode=False)
    assert np.allclose(loaded.predict(np.ones((1, 3), "float32"), verbose=0), 2.0)


@pytest.mark.parametrize("content", [b"hello, not a zip", None])
def test_truncated_or_non_zip_file_is_a_kernest_error(tmp_path, content):
    good = kernest.save(models.depth3(), tmp_path / "good.keras")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(content if content is not None else open(good, "rb").read()[:300])
    with pytest.raises(kernest.KernestError, match="not a .keras model file"):
        kernest.load(bad)


def test_zip_without_model_config_is_a_kernest_error(tmp_path):
    path = tmp_path / "empty.keras"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(kernest.KernestError, match="no config.json"):
        kernest.load(path)


def test_bad_paths(tmp_path):
    with pytest.raises(kernest.KernestError, match="must end in '.keras'"):
        kernest.save(models.depth3(), tmp_path / "m.h5")
    with pytest.raises(kernest.KernestError, match="Cannot write"):
        kernest.save(models.depth3(), tmp_path / "missing" / "m.keras")
    with pytest.raises(kernest.KernestError, match="No model file"):
        kernest.load(tmp_path / "nope.keras")
