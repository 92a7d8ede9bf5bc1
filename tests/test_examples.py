"""The seed examples run and train; the broken originals are diagnosed, and the fixes build."""

from __future__ import annotations

import runpy
from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from kernest.cli import main

pytestmark = pytest.mark.core
ROOT = Path(__file__).resolve().parent.parent
SEED, BROKEN = ROOT / "examples" / "seed", ROOT / "examples" / "broken"


def build(name: str) -> keras.Model:
    return runpy.run_path(str(SEED / name), run_name="seed")["build"]()


def random_batch(model: keras.Model, n: int = 4):
    rng = np.random.default_rng(0)
    xs = []
    for t in model.inputs:
        shape = (n, *t.shape[1:])
        xs.append(rng.integers(0, 50, shape).astype("int32") if "int" in str(t.dtype) else rng.normal(size=shape).astype("float32"))
    return xs[0] if len(xs) == 1 else xs


@pytest.mark.parametrize("name", ["01_char_cnn_in_word_lstm.py", "02_mlp_in_mlp.py", "03_two_outputs_into_two_inputs.py"])
def test_seed_example_builds_checks_and_trains_one_step(name):
    model = build(name)
    kernest.check(model)
    model.compile("adam", "mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(random_batch(model), np.zeros((4, 1)), epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))


def test_broken_01_is_diagnosed(capsys):
    assert main(["check", str(BROKEN / "01_flatten_into_lstm.py")]) == 1
    err = capsys.readouterr().err
    assert "word_lstm/lstm" in err and "char_cnn -> word_lstm" in err
    assert "expected (batch, steps, features), received (batch, 1568)" in err
    assert "Fix: char_cnn/flatten (Flatten) removed the axes" in err and "Reshape((49, 32))" in err


def test_broken_01_fixed_as_suggested_builds():
    L = keras.layers
    cnn = keras.Sequential([keras.Input((100, 50)), L.Conv1D(32, 3), L.MaxPooling1D(2)], name="char_cnn")  # Flatten dropped
    word_lstm = keras.Sequential([keras.Input(cnn.output_shape[1:]), L.LSTM(64), L.Dense(1)], name="word_lstm")
    model = kernest.nest(cnn, word_lstm, input=(100, 50))
    assert model.output_shape == (None, 1)


def test_broken_03_is_diagnosed(capsys):
    assert main(["check", str(BROKEN / "03_fresh_inputs.py")]) == 1
    err = capsys.readouterr().err
    assert "inner" in err and "comes from Input 'fresh_wide'" in err and "fresh_narrow" in err
    assert "declared input" in err


def test_broken_03_fixed_as_suggested_builds():
    model = build("03_two_outputs_into_two_inputs.py")
    assert [str(w) for w in model.wiring] == ["wide -> wide (by name)", "narrow -> narrow (by name)"]
