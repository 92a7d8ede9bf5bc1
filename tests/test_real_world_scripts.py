"""``kernest check|summary|plot script.py`` on scripts written the way people write them (tests/user_scripts/):
argparse at import, a ``__main__`` guard, training at import (``fit`` and a hand-written loop), tf.data,
several models in one file, a model built in a function, relative data paths and a helper module beside the
script, ``print`` noise, seeds, ``input()``, matplotlib. kernest finds the model, runs ``fit`` for one step,
never waits on a keyboard, says which model it used and how to pick another, and fails with one paragraph
when the script itself fails."""

from __future__ import annotations

import builtins
import json
import os
import shutil
import sys
import time
from pathlib import Path

import keras
import pytest

import kernest
from kernest._target import load_target
from kernest.cli import main

SCRIPTS = Path(__file__).parent / "user_scripts"
# Marked core (run on JAX and PyTorch too): the tests that train nothing. The others run each script's one
# fit() step, seconds per script on JAX; run them there by hand with KERAS_BACKEND=jax.
TF_ONLY = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="the script imports TensorFlow's tf.data")


@pytest.fixture
def scripts(tmp_path, monkeypatch):
    """A copy of tests/user_scripts, and a current folder that is not the scripts' own."""
    copy = tmp_path / "project"
    shutil.copytree(SCRIPTS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return copy


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def kernest_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("kernest:")]


def test_argparse_at_import_takes_its_defaults_and_the_prints_stay_off_stdout(scripts, capsys):
    started = time.perf_counter()
    code, out, err = run_cli(capsys, "summary", str(scripts / "mnist_convnet_argparse.py"), "--json")
    assert code == 0, err
    assert time.perf_counter() - started < 60  # 15 epochs of 2,048 images would take minutes
    got = json.loads(out)  # the script's prints and Keras' model.summary() went to stderr
    assert got["model"] == "mnist_convnet" and "features/conv2" in [r["path"] for r in got["rows"]]
    assert "x_train shape" in err and "final accuracy" in err  # the script went on after fit
    [note] = kernest_lines(err)
    assert "using `model` (Functional 'mnist_convnet')" in note and "mnist_convnet_argparse.py:features" in note
    assert "fit ran one step only (mnist_convnet_argparse.py:47)" in note


def test_fit_runs_one_step_and_the_model_is_the_scripts_own(scripts):
    model = load_target(str(scripts / "mnist_convnet_argparse.py"))
    assert int(model.optimizer.iterations) == 1  # one step of one epoch, not 15 epochs of 15 steps
    assert model.count_params() == kernest.summary(model).total_params == 34_826


def test_a_model_built_only_in_main_is_found_by_running_the_main_block(scripts, capsys):
    model = load_target(str(scripts / "siamese_main_guard.py"))
    assert model.name == "siamese" and int(model.optimizer.iterations) == 1  # 40 epochs cut to one step
    assert "tower" in [r.path for r in kernest.summary(model).rows] and model.count_params() == 808 + 9
    [note] = kernest_lines(capsys.readouterr().err)
    assert "using `siamese`" in note and "also holds `tower`" in note and "siamese_main_guard.py:30" in note
    assert 'only under `if __name__ == "__main__":`' in note


@pytest.mark.core
def test_a_function_of_the_script_can_be_named(scripts, capsys):
    code, out, err = run_cli(capsys, "summary", f"{scripts / 'siamese_main_guard.py'}:embedding_tower")
    assert code == 0, err
    assert 'Model: "tower"' in out and "using `embedding_tower()`" in err
    code, _, err = run_cli(capsys, "summary", f"{scripts / 'siamese_main_guard.py'}:euclidean_distance")
    assert code == 2 and "needs arguments (vects)" in err


@pytest.mark.core
def test_several_models_the_outermost_last_one_is_used_and_another_can_be_picked(scripts, capsys):
    path = str(scripts / "two_candidates.py")
    code, out, err = run_cli(capsys, "summary", path)
    assert code == 0 and 'Model: "improved"' in out
    [note] = kernest_lines(err)
    assert "also holds `baseline`, `trunk`: give " + path + ":baseline to use another" in note
    code, out, err = run_cli(capsys, "check", path + ":baseline")
    assert code == 0 and out.startswith("check baseline:"), err
    code, _, err = run_cli(capsys, "summary", path + ":nothing_here")
    assert code == 2 and "no model or function named 'nothing_here' (it holds trunk, baseline, improved" in err


@TF_ONLY
def test_a_vae_fed_by_tf_data_is_checked_without_training_it(scripts, capsys):
    started = time.perf_counter()
    code, out, err = run_cli(capsys, "check", str(scripts / "vae_tf_data.py"))
    assert code == 0, err
    assert time.perf_counter() - started < 60  # 30 epochs of 64 batches
    assert out.startswith("check vae:") and "encoder      -> decoder  (batch, 2)" in out
    [note] = kernest_lines(err)
    assert "also holds `encoder`, `decoder`" in note and "fit ran one step only (vae_tf_data.py:42)" in note


def test_a_hand_written_training_loop_is_stopped_and_the_model_built_before_it_is_used(scripts, capsys):
    started = time.perf_counter()
    code, out, err = run_cli(capsys, "check", "--timeout", "4", str(scripts / "gan_training_loop.py"))
    assert code == 0, err
    assert time.perf_counter() - started < 30
    assert out.startswith("check gan:") and "discriminator is frozen" in out
    [note] = kernest_lines(err)
    assert "using `gan`" in note and "still running after 4 s (at gan_training_loop.py:" in note


def test_input_never_waits(scripts, capsys, tmp_path):
    code, out, err = run_cli(capsys, "summary", str(scripts / "lstm_asks_input.py"))
    assert code == 0 and 'Model: "regressor"' in out
    assert "asked for keyboard input at lstm_asks_input.py:18" in kernest_lines(err)[0]
    early = tmp_path / "asks_first.py"
    early.write_text("units = int(input('units? '))\nimport keras\nmodel = keras.Sequential([keras.layers.Dense(units)])\n")
    code, _, err = run_cli(capsys, "check", str(early))
    assert code == 2 and err.count("\n") == 1
    assert "asked for keyboard input (input('units? ') at asks_first.py:1) before it built a model" in err


def test_relative_data_and_a_helper_module_beside_the_script(scripts, capsys):
    here = os.getcwd()
    code, out, err = run_cli(capsys, "summary", str(scripts / "text_classifier_relative.py"))
    assert code == 0, err
    assert "label" in out and "(batch, features=5)" in out  # five classes read from data/labels.txt
    assert f"cwd: {scripts}" in err and "kernest ran the script from its own folder" in kernest_lines(err)[0]
    assert os.getcwd() == here


@pytest.mark.core
def test_required_arguments_are_named_in_one_paragraph(scripts, capsys):
    code, out, err = run_cli(capsys, "summary", str(scripts / "unet_required_args.py"))
    assert code == 2 and not out
    assert err.count("\n") == 1 and "Traceback" not in err and "usage:" not in err
    assert "argparse" in err and "the following arguments are required: --data-dir" in err


def test_a_model_built_in_a_function_with_matplotlib_and_seeds(scripts, capsys, tmp_path):
    code, out, err = run_cli(capsys, "plot", str(scripts / "video_classifier_plots.py"), "-o", str(tmp_path / "v.svg"))
    assert code == 0, err
    assert (tmp_path / "v.svg").stat().st_size > 1000
    [note] = kernest_lines(err)
    assert "using `clf` (Functional 'video_classifier')" in note  # the script's model, not a second get_model()
    assert "fit ran one step only (video_classifier_plots.py:39)" in note


def test_a_script_that_fails_at_an_interface_gets_one_paragraph(scripts, capsys):
    code, out, err = run_cli(capsys, "check", str(scripts / "broken_merge.py"))
    assert code in (1, 2) and "Traceback" not in err
    assert "merge" in err and "image_branch" in err and err.count("\n") == 1


def test_the_interpreter_is_left_as_it_was(scripts, capsys):
    main(["summary", str(scripts / "two_candidates.py")])  # the CLI puts the current folder on sys.path once
    argv, path, cwd, ask = list(sys.argv), list(sys.path), os.getcwd(), builtins.input
    fit = keras.Model.fit
    for name in ("unet_required_args.py", "text_classifier_relative.py", "lstm_asks_input.py"):
        main(["summary", str(scripts / name)])
    capsys.readouterr()
    assert (sys.argv, sys.path, os.getcwd(), builtins.input, keras.Model.fit) == (argv, path, cwd, ask, fit)
    assert "__kernest_target__" not in sys.modules


@pytest.mark.core
def test_main_that_exits_zero_and_main_that_never_ends(scripts, capsys):
    code, out, err = run_cli(capsys, "summary", str(scripts / "main_sys_exit.py"))
    assert code == 0 and 'Model: "tiny"' in out and "using `model` (Sequential 'tiny')" in err
    code, out, err = run_cli(capsys, "summary", "--timeout", "2", str(scripts / "main_hand_loop.py"))
    assert code == 0 and 'Model: "net"' in out, err
    [note] = kernest_lines(err)
    assert "also holds `enc`" in note and "stopped it (2 s (at main_hand_loop.py:" in note


def test_the_outermost_models_are_those_no_other_holds_at_any_depth_even_through_wrappers_and_attributes():
    from kernest._script import _outermost

    keras.backend.clear_session(free_memory=False)
    i = keras.Input((4, 3))
    enc = keras.Model(i, keras.layers.Dense(2)(i), name="enc")  # inside `framed` through TimeDistributed
    cell = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="cell")
    j = keras.Input((5, 4, 3))
    framed = keras.Model(j, keras.layers.TimeDistributed(enc)(j), name="framed")

    class Holder(keras.Model):  # holds `cell` as an attribute, and is held by nothing
        def __init__(self, **kw):
            super().__init__(**kw)
            self.cell = cell

        def call(self, x):
            return self.cell(x)

    holder = Holder(name="holder")
    holder(keras.ops.zeros((1, 3)))
    lone = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="lone")
    models = {"enc": enc, "framed": framed, "cell": cell, "holder": holder, "lone": lone, "again": framed}
    assert _outermost(models) == ["framed", "holder", "lone", "again"]
