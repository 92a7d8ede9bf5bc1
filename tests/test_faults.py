"""Faults: a killed writer never leaves half a file, a diverging run stops cleanly, files with code are refused.

Training-level faults (SIGKILL mid-run then ``--resume``, determinism) are at the end of this file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import kernest
from kernest import KernestError, UnsafeModelError
from kernest.cli import main
from kernest.text._distribute import NaNGuard, TrainingDiverged

ROOT = Path(__file__).resolve().parent.parent
FILES_PY = ROOT / "kernest" / "_files.py"
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow", "PYTHONPATH": str(ROOT)}


@contextlib.contextmanager
def _running(args: list[str], **kwargs: Any) -> Iterator[subprocess.Popen]:
    """Start a process; whatever the test does, it is killed and reaped on the way out."""
    proc = subprocess.Popen(args, **kwargs)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def _sigkill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _wait_for_line(proc: subprocess.Popen, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"writer exited ({proc.returncode}) before printing {text!r}")
    raise AssertionError(f"writer did not print {text!r} within {timeout} s")


# ----------------------------------------------------------------------------------------- atomic files

# The writer loads kernest/_files.py as it is, under an empty `kernest` package: its one import
# (kernest._errors) then comes from the folder without kernest/__init__.py, which imports Keras and TensorFlow
# (seconds of start-up per writer, and nothing this test is about).
_JSON_WRITER = textwrap.dedent("""
    import importlib.util, json, os, sys, types
    package = types.ModuleType("kernest")
    package.__path__ = [os.path.dirname(sys.argv[1])]
    sys.modules["kernest"] = package
    spec = importlib.util.spec_from_file_location("files", sys.argv[1])
    files = importlib.util.module_from_spec(spec); spec.loader.exec_module(files)
    from pathlib import Path
    target = Path(sys.argv[2])
    i = 0
    while True:
        # ~1 MB per write, so a kill lands inside a write most of the time
        files.write_text_atomic(target, json.dumps({"i": i, "pad": [i] * 200_000}))
        if i == 0:
            print("ready", flush=True)
        i += 1
""")


def test_kill_during_json_writes_never_leaves_half_a_file(tmp_path):
    target = tmp_path / "state.json"
    for delay in (0.0, 0.037, 0.12):
        with _running([sys.executable, "-c", _JSON_WRITER, str(FILES_PY), str(target)],
                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
            _wait_for_line(proc, "ready", 30)
            time.sleep(delay)
            _sigkill(proc)
        obj = json.loads(target.read_text())  # never half a file
        assert obj["pad"][0] == obj["i"] and len(obj["pad"]) == 200_000
    # The temporary file of an interrupted write may be left beside it, hidden; never the target itself.
    assert all(p.name.startswith(".state.json.") for p in tmp_path.iterdir() if p != target)


_MODEL_WRITER = textwrap.dedent("""
    import sys, keras, kernest
    x = keras.Input((64,))
    model = keras.Model(x, keras.layers.Dense(512)(keras.layers.Dense(512)(x)))
    i = 0
    while True:
        kernest.save(model, sys.argv[1])
        if i == 0:
            print("ready", flush=True)
        i += 1
""")


@pytest.mark.slow
def test_kill_during_model_save_leaves_a_loadable_model(tmp_path):
    target = tmp_path / "model.keras"
    with _running([sys.executable, "-c", _MODEL_WRITER, str(target)], stdout=subprocess.PIPE,
                  stderr=subprocess.DEVNULL, text=True, env=ENV) as proc:
        _wait_for_line(proc, "ready", 60)
        for delay in (0.05, 0.11, 0.17):
            time.sleep(delay)
            with zipfile.ZipFile(target) as z:  # while it is being rewritten, the file is always whole
                assert z.testzip() is None
        _sigkill(proc)
    assert kernest.load(target).output.shape == (None, 512)


# ---------------------------------------------------------------------------------------------- NaN guard


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.saved_epochs: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.saved_epochs.append(epoch)


def test_errors_live_in_errors_and_stay_importable_where_they_were():
    from kernest import _errors
    from kernest.text import RunError, _run
    from kernest.text import TrainingDiverged as FromApp

    assert RunError is _errors.RunError is _run.RunError and issubclass(RunError, KernestError)
    assert TrainingDiverged is FromApp is _errors.TrainingDiverged


def test_atomic_writes_keep_the_umask_and_never_change_it(tmp_path):
    import kernest._files as files

    old = os.umask(0o027)
    try:
        files.write_text_atomic(tmp_path / "a.txt", "x")
        assert os.umask(0o027) == 0o027  # writing did not change it
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640  # what open() gives under that umask
    source = Path(files.__file__).read_text(encoding="utf-8")
    assert "umask(" not in source  # importing kernest never touches the process umask


def test_export_swaps_folders_in_one_step(tmp_path, monkeypatch):
    from kernest.text import _export

    out = tmp_path / "saved"
    for version in ("v1", "v2"):
        new = tmp_path / f".saved.{version}"
        new.mkdir()
        (new / "version").write_text(version)
        _export._swap_in(new, out)
        assert (out / "version").read_text() == version and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saved"]
    # Without the exchange call (not Linux), the old folder is back in place when moving the new one in fails.
    monkeypatch.setattr(_export, "_exchange", lambda a, b: False)
    broken = tmp_path / ".saved.v3"
    broken.mkdir()
    real_rename = Path.rename

    def failing_rename(self, target):
        if self == broken:
            raise OSError("disk full")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", failing_rename)
    with pytest.raises(OSError, match="disk full"):
        _export._swap_in(broken, out)
    assert (out / "version").read_text() == "v2"


def test_nan_guard_stops_at_the_first_bad_batch_before_any_checkpoint():
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(x))
    model.compile(optimizer=keras.optimizers.SGD(1e6), loss="mse")  # diverges within a few steps
    data = np.random.default_rng(0).normal(size=(64, 4)).astype("float32") * 100
    recorder = _Recorder()
    with pytest.raises(TrainingDiverged, match=r"loss became (nan|inf).*epoch 1, batch \d+.*last good checkpoint "
                                               r"is kept in 'ckpt'.*lower learning_rate \(now 1e\+06\)"):
        model.fit(data, data[:, :1], batch_size=4, epochs=3, verbose=0,
                  callbacks=[NaNGuard("ckpt", 1e6), recorder])
    assert recorder.saved_epochs == []  # no callback saw the end of the broken epoch
    assert isinstance(TrainingDiverged("x"), KernestError)


def test_nan_guard_is_silent_on_finite_losses():
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(1)(x))
    model.compile(optimizer="sgd", loss="mse")
    data = np.ones((8, 4), "float32")
    recorder = _Recorder()
    history = model.fit(data, data[:, :1], epochs=2, verbose=0, callbacks=[NaNGuard(), recorder])
    assert recorder.saved_epochs == [0, 1]  # both epochs ran to their end
    assert not model.stop_training
    assert np.isfinite(history.history["loss"]).all() and len(history.history["loss"]) == 2


# ------------------------------------------------------------------------------------------- safe loading


@pytest.fixture
def lambda_file(tmp_path) -> Path:
    x = keras.Input((3,))
    y = keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    path = tmp_path / "lambda.keras"
    keras.Model(x, keras.layers.Dense(2, name="head")(y)).save(path)
    return path


def test_lambda_model_is_refused_by_the_python_api(lambda_file):
    with pytest.raises(UnsafeModelError, match=r"lambda\.keras.*holds Python code.*safe_mode=False"):
        kernest.load(lambda_file)
    model = kernest.load(lambda_file, safe_mode=False)
    np.testing.assert_allclose(model.get_layer("double")(np.ones((1, 3), "float32")), 2.0)


def test_a_refused_file_names_each_lambda_at_its_nested_path(tmp_path):
    x = keras.Input((3,))
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda t: t + 1.0, name="shift")], name="prep")
    path = tmp_path / "nested.keras"
    keras.Model(x, keras.layers.Dense(2, name="head")(inner(x))).save(path)
    with pytest.raises(UnsafeModelError, match=r"holds Python code \(the Lambda layers prep/shift\)"):
        kernest.load(path)


def test_lambda_model_is_refused_by_kernest_check(lambda_file, capsys):
    assert main(["check", str(lambda_file)]) == 2
    err = capsys.readouterr().err
    assert "holds Python code" in err and "--unsafe" in err and "Traceback" not in err
    assert main(["check", str(lambda_file), "--unsafe"]) == 0
    assert "double" in capsys.readouterr().out


def test_yaml_config_with_python_tag_is_refused(tmp_path):
    from kernest import DataError
    from kernest.text._model import ModelConfig

    marker = tmp_path / "pwned"
    bad = tmp_path / "config.yaml"
    bad.write_text(f"learning_rate: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(DataError, match=r"config\.yaml.*cannot be parsed"):
        ModelConfig.from_file(bad)
    assert not marker.exists()
    obj = tmp_path / "obj.yaml"
    obj.write_text("!!python/object:kernest.text._model.ModelConfig {filters: 3}\n")
    with pytest.raises(DataError, match="cannot be parsed"):
        ModelConfig.from_file(obj)
    good = tmp_path / "good.yaml"
    good.write_text("filters: 3\nwidths: [2, 3]\n")
    assert ModelConfig.from_file(good).filters == 3


# ------------------------------------------------------------------------------ kill -9, resume, determinism

EPOCHS = 4
# The resumed run reshuffles from the resume epoch on, so its later batches differ from an uninterrupted run;
# its final test accuracy and training loss must stay within this of the uninterrupted run's.
RESUME_TOLERANCE = 0.1

_TRAINER = textwrap.dedent("""
    import sys
    from kernest.text._train import train
    from tests.tiny_text import TINY_CONFIG
    train(sys.argv[1], out=sys.argv[2], epochs=int(sys.argv[3]), batch_size=16, seed=0, config=TINY_CONFIG,
          verbose=0, tensorboard=False)
""")


def _train_in_process(data, out, **kw):
    from kernest.text._train import train
    from tests.tiny_text import TINY_CONFIG

    kw.setdefault("config", TINY_CONFIG)
    return train(data, out=out, epochs=EPOCHS, batch_size=16, seed=0, verbose=0, tensorboard=False, **kw)


@pytest.fixture(scope="module")
def tiny_csv(tmp_path_factory):
    from tests.tiny_text import write_csv

    return write_csv(tmp_path_factory.mktemp("data") / "tiny.csv", n=240)


@pytest.fixture(scope="module")
def fresh_run(tiny_csv, tmp_path_factory):
    """One uninterrupted training, seed 0: the reference of the resume and the same-seed tests."""
    return _train_in_process(tiny_csv, tmp_path_factory.mktemp("fresh") / "run")


# The wait for the trainer's first checkpoint (TensorFlow's start-up, one trace, one epoch): about a minute on CI,
# over two minutes at load 10. It polls, so a high ceiling (for a trainer that hangs) costs nothing.
CHECKPOINT_CEILING = 420


# The two tests that compare with fresh_run share one worker, so it is trained once.
@pytest.mark.slow
@pytest.mark.xdist_group("fresh_run")
@pytest.mark.timeout(1200)  # the wait above, then one training in this process
def test_sigkill_mid_training_then_resume_continues(tmp_path, tiny_csv, fresh_run):
    run = tmp_path / "run"
    state = run / "checkpoint" / "state.json"
    with _running([sys.executable, "-c", _TRAINER, str(tiny_csv), str(run), str(EPOCHS)], cwd=ROOT,
                  env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + CHECKPOINT_CEILING
        while not state.exists():
            assert proc.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, f"no checkpoint within {CHECKPOINT_CEILING} s"
            time.sleep(0.05)
        _sigkill(proc)
    done = json.loads(state.read_text())["epoch"]  # the last saved epoch (0-based); never half a file
    assert 0 <= done < EPOCHS - 1, "killed too late to test resuming"
    assert not (run / "metrics.json").exists()
    resumed = _train_in_process(None, run, resume=True)
    losses = resumed.history["loss"]
    assert len(losses) == EPOCHS  # epochs 0..done from before the kill, the rest after: none run twice
    assert resumed.metrics["epochs_run"] == EPOCHS

    fresh = fresh_run
    print(f"killed after epoch {done + 1}; accuracy fresh {fresh.metrics['accuracy']:.4f} resumed "
          f"{resumed.metrics['accuracy']:.4f}; final loss fresh {fresh.history['loss'][-1]:.4f} resumed {losses[-1]:.4f}")
    np.testing.assert_allclose(fresh.history["loss"][: done + 1], losses[: done + 1], rtol=1e-5)
    assert abs(fresh.metrics["accuracy"] - resumed.metrics["accuracy"]) <= RESUME_TOLERANCE
    assert abs(fresh.history["loss"][-1] - losses[-1]) <= RESUME_TOLERANCE


@pytest.mark.xdist_group("fresh_run")
def test_same_seed_same_metrics(tmp_path, tiny_csv, fresh_run):
    a, b = fresh_run, _train_in_process(tiny_csv, tmp_path / "b")
    assert a.history["loss"] == b.history["loss"]
    assert a.metrics["accuracy"] == b.metrics["accuracy"] and a.metrics["confusion"] == b.metrics["confusion"]


@pytest.mark.slow
def test_diverging_run_stops_with_a_clear_message(tmp_path, tiny_csv):
    from tests.tiny_text import TINY_CONFIG

    config = {**TINY_CONFIG, "learning_rate": float("inf")}  # the first update makes every weight NaN
    with pytest.raises(TrainingDiverged, match=r"loss became .* lower learning_rate") as info:
        _train_in_process(tiny_csv, tmp_path / "nan", config=config)
    assert "checkpoint" in str(info.value)
    assert not (tmp_path / "nan" / "model.keras").exists()  # no model with broken weights is written


@pytest.mark.slow
def test_deterministic_flag_gives_the_same_numbers(tmp_path, tiny_csv):
    # Op determinism is process-wide and makes Keras refuse XLA: switch it off again for the tests that
    # share this worker (TensorFlow has no public switch back; this is test-only).
    from tensorflow.python.framework import config as tf_config

    try:
        runs = [_train_in_process(tiny_csv, tmp_path / name, deterministic=True) for name in ("a", "b")]
    finally:
        tf_config.disable_op_determinism()
    assert runs[0].history["loss"] == runs[1].history["loss"]
