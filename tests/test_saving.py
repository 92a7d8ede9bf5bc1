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


def test_non_zip_file_is_a_kernest_error(tmp_path):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"hello, not a zip")
    with pytest.raises(kernest.KernestError, match="not a .keras model file"):
        kernest.load(bad)


def test_truncated_file_is_reported_as_damaged_not_missing(tmp_path):
    good = kernest.save(models.depth3(), tmp_path / "good.keras")
    bad = tmp_path / "bad.keras"
    bad.write_bytes(open(good, "rb").read()[:300])
    with pytest.raises(kernest.KernestError, match=r"is damaged: it is a truncated \.keras archive") as info:
        kernest.load(bad)
    assert "not found" not in str(info.value).lower() and "no model file" not in str(info.value).lower()


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


# --- issue 10: trainable flags, custom layers; issue 13: one-way imports ---------------------------------

def test_trainable_flags_survive_the_round_trip_in_a_subclassed_model(tmp_path):
    model = models.subclassed_classifier()
    kernest.freeze(model, ["backbone/fc1", "backbone/bn"])
    x = np.ones((2, 8), "float32")
    loaded = _roundtrip(model, x, tmp_path)
    flags = {p: kernest.get(loaded, p).trainable for p in kernest.paths(loaded)}
    assert flags == {p: kernest.get(model, p).trainable for p in kernest.paths(model)}
    assert flags["backbone/fc1"] is False and flags["backbone/bn"] is False and flags["head"] is True
    assert len(loaded.trainable_weights) == len(model.trainable_weights)


def test_a_frozen_gan_discriminator_stays_frozen(tmp_path):
    model = models.gan()
    kernest.unfreeze(model, "discriminator/d_out")  # mixed flags inside one submodel
    loaded = _roundtrip(model, np.ones((2, 4), "float32"), tmp_path)
    assert kernest.get(loaded, "discriminator/d_fc").trainable is False
    assert kernest.get(loaded, "discriminator/d_out").trainable is True


def test_ten_real_world_models_roundtrip_with_identical_predictions(tmp_path):
    rng = np.random.default_rng(0)
    inputs = {
        "siamese": [rng.integers(0, 20, (2, 6)).astype("int32")] * 2,
        "seq2seq": [rng.integers(0, 15, (2, 5)).astype("int32"), rng.integers(0, 15, (2, 4)).astype("int32")],
        "wide_and_deep": [rng.normal(size=(2, 10)).astype("float32"), rng.integers(0, 50, (2, 3)).astype("int32")],
        "masked_inner": np.array([[1, 2, 3, 0, 0, 0], [4, 5, 0, 0, 0, 0]], "int32"),
        "subclassed_classifier": rng.normal(size=(2, 8)).astype("float32"),
    }
    for builder in models.REAL_WORLD:
        if builder is models.vae:
            continue  # it samples noise: two predictions differ by design
        model = builder()
        name = builder.__name__
        x = inputs[name] if name in inputs else rng.normal(size=(2, *model.inputs[0].shape[1:])).astype("float32")
        _roundtrip(model, x, tmp_path, f"{name}.keras")


CUSTOM = """
import keras


@keras.saving.register_keras_serializable(package="{pkg}")
class Doubler(keras.layers.Layer):
    def call(self, x):
        return x * 2.0
"""


def _custom_layer_file(tmp_path, monkeypatch, module="kernest_custom_layers"):
    import importlib
    import sys

    (tmp_path / f"{module}.py").write_text(CUSTOM.format(pkg=module), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    layers = importlib.import_module(module)
    x = keras.Input((3,))
    path = kernest.save(keras.Model(x, layers.Doubler(name="double")(x)), tmp_path / "custom.keras")
    del sys.modules[module]  # as in a fresh process: nothing registers Doubler
    keras.saving.get_custom_objects().pop(f"{module}>Doubler")
    return path


def test_unregistered_custom_layer_names_the_class_and_the_option(tmp_path, monkeypatch):
    path = _custom_layer_file(tmp_path, monkeypatch)
    with pytest.raises(kernest.KernestError, match=r"custom class 'Doubler'.*--import MODULE") as info:
        kernest.load(path)
    assert len(str(info.value)) < 500 and "config=" not in str(info.value)


def test_cli_import_registers_the_custom_layer(tmp_path, monkeypatch, capsys):
    from kernest.cli import main

    path = _custom_layer_file(tmp_path, monkeypatch)
    monkeypatch.chdir(tmp_path)
    assert main(["summary", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'Doubler'" in err and "--import MODULE" in err
    assert main(["summary", path, "--import", "kernest_custom_layers"]) == 0
    assert "double  Doubler" in capsys.readouterr().out
    assert main(["diff", path, path, "--import", "no_such_module_xyz"]) == 2
    assert "--import no_such_module_xyz: cannot import it" in capsys.readouterr().err


def test_load_imports_neither_the_app_nor_tensorflow(tmp_path):
    import subprocess
    import sys

    path = kernest.save(models.depth3(), tmp_path / "m.keras")  # Keras' own save imports TensorFlow
    code = (f"import sys, kernest\nkernest.load({path!r})\n"
            "print('kernest.text' in sys.modules, 'tensorflow' in sys.modules)")
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    if "No module named 'jax'" in out.stderr:
        pytest.skip("JAX is not installed")
    assert out.stdout.split() == ["False", "False"], out.stderr[-2000:]
