"""Distributed training: strategy selection, MirroredStrategy on 2 logical CPUs, 2 multi-worker processes on
127.0.0.1, and keras.distribution.DataParallel on 2 virtual JAX CPU devices.

Device layouts must be set before TensorFlow / JAX initialise, so every distributed run is a subprocess.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kernest import KernestError
from kernest.text import _distribute as dist

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT), "KERAS_BACKEND": "tensorflow",
       "PYTHONWARNINGS": "ignore"}

# Measured on 2 CPU cores: the unshuffled mirrored and single-device losses agreed to ~2e-7 (the same
# arithmetic, split in two). Since over() computes each distinct word once, each replica sums its words'
# gradients in its own order (a segment sum over its half's distinct words): after 3 epochs the losses
# differ by up to 3e-4 (0.04 %). The tolerance leaves room for that; a replica whose gradients were
# dropped or not averaged moves the loss by far more.
LOSS_TOLERANCE = 1e-3
# Each distributed run is a subprocess that starts TensorFlow (or JAX) and traces its models: about a minute on
# CI's 2 cores, several when the machine is loaded. The ceiling is for a hung run, not a figure: it costs nothing
# when the run ends, so it is left far above the usual time (below pytest's own 600 s per test).
RUN_CEILING = 540


def _last_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    assert lines, f"no result line in output:\n{stdout[-3000:]}"
    return json.loads(lines[-1])


# ------------------------------------------------------------------------------------------- make_strategy


@pytest.mark.parametrize("name", [None, "", "none", "off"])
def test_no_strategy(name):
    assert dist.make_strategy(name) is None
    assert dist.replicas(None) == 1 and dist.is_chief(None)


def test_unknown_strategy_names_the_choices():
    with pytest.raises(KernestError, match=r"unknown distribution strategy 'tpu'.*mirrored, multiworker"):
        dist.make_strategy("tpu")


@pytest.mark.parametrize("tf_config, message", [
    (None, r"needs the TF_CONFIG environment variable.*\"task\""),
    ("{not json", r"TF_CONFIG is not valid JSON"),
    ('{"cluster": {"worker": ["a:1"]}}', r"needs a 'cluster' and a 'task'"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}', r"not a member of its cluster"),
    ('{"cluster": {"worker": ["a:1"]}, "task": {"type": "chief", "index": 0}}', r"not a member of its cluster"),
])
def test_multiworker_needs_a_valid_tf_config(monkeypatch, tf_config, message):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(KernestError, match=message):
        dist.make_strategy("multiworker")


def test_strategies_need_tensorflow(monkeypatch):
    monkeypatch.setattr(dist.keras.backend, "backend", lambda: "jax")
    with pytest.raises(KernestError, match=r"needs the TensorFlow backend.*'jax'.*DataParallel"):
        dist.make_strategy("mirrored")
    monkeypatch.setattr(dist.keras.backend, "backend", lambda: "tensorflow")
    with pytest.raises(KernestError, match=r"needs the JAX backend"):
        dist.data_parallel()


def test_batch_size_is_global_and_split_across_replicas():
    class Two:
        num_replicas_in_sync = 2

    assert dist.check_batch_size(64, Two()) == 32
    assert dist.check_batch_size(5, Two()) == 3
    with pytest.raises(KernestError, match=r"global batch, split across 2 replicas.*--batch-size 2"):
        dist.check_batch_size(1, Two())
    with pytest.raises(KernestError, match="at least 1"):
        dist.check_batch_size(0)


def test_mirrored_strategy_on_this_machine():
    strategy = dist.make_strategy("mirrored")
    assert strategy.num_replicas_in_sync >= 1 and dist.is_chief(strategy)
    with dist.scope(strategy):
        import keras

        layer = keras.layers.Dense(2)
        layer.build((None, 3))
    assert "Mirrored" in type(layer.kernel.value).__name__


# ---------------------------------------------------------------------------- MirroredStrategy, 2 CPUs

_MIRRORED = textwrap.dedent("""
    import json, sys, time
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kernest.text._distribute import make_strategy, scope
    from kernest.text._encode import TextEncoder
    from kernest.text._model import ModelConfig, build_model, compile_model
    from tests.tiny_text import TINY_CONFIG, corpus

    texts, labels = corpus(128)
    cfg = ModelConfig.from_dict(TINY_CONFIG)
    enc = TextEncoder.fit(texts, max_words=8, max_chars=8, min_count=1, classes=("neg", "pos"))

    def run(strategy):
        keras.utils.set_random_seed(0)
        with scope(strategy):
            model = compile_model(build_model(8, 8, enc.vocab_size, 2, cfg), cfg)
        # Unshuffled: tf.data's shuffle order changes when the strategy rewrites the pipeline.
        data = enc.dataset(texts, labels, batch_size=32)  # global batch 32 = 2 replicas x 16
        start = time.perf_counter()
        history = model.fit(data, epochs=2, verbose=0).history
        return {"loss": history["loss"], "eval": model.evaluate(data, verbose=0, return_dict=True)["loss"],
                "seconds": time.perf_counter() - start}

    strategy = make_strategy("mirrored")
    out = {"replicas": strategy.num_replicas_in_sync, "single": run(None), "mirrored": run(strategy)}
    print(json.dumps(out), flush=True)
""")


@pytest.mark.slow
def test_mirrored_on_two_cpus_matches_one_device():
    run = subprocess.run([sys.executable, "-c", _MIRRORED], capture_output=True, text=True, env=ENV,
                         cwd=ROOT, timeout=RUN_CEILING)
    assert run.returncode == 0, run.stderr[-3000:]
    out = _last_json(run.stdout)
    assert out["replicas"] == 2
    single, mirrored = out["single"], out["mirrored"]
    np.testing.assert_allclose(mirrored["loss"], single["loss"], atol=LOSS_TOLERANCE)
    assert abs(mirrored["eval"] - single["eval"]) < LOSS_TOLERANCE
    assert single["loss"][-1] < single["loss"][0]  # it trained


# --------------------------------------------------------------------- MultiWorkerMirroredStrategy, 2 procs

_WORKER = textwrap.dedent("""
    import json, sys
    from kernest.text._distribute import is_chief, make_strategy, prepare_fit, scope, shard_by_data
    strategy = make_strategy("multiworker")  # first: before TensorFlow initialises its devices
    import keras, numpy as np
    from kernest.text._encode import TextEncoder
    from kernest.text._model import ModelConfig, build_model, compile_model
    from tests.tiny_text import TINY_CONFIG, corpus

    texts, labels = corpus(128)
    cfg = ModelConfig.from_dict(TINY_CONFIG)
    enc = TextEncoder.fit(texts, max_words=8, max_chars=8, min_count=1, classes=("neg", "pos"))
    keras.utils.set_random_seed(0)
    with scope(strategy):
        model = compile_model(build_model(8, 8, enc.vocab_size, 2, cfg), cfg)
    data = shard_by_data(enc.dataset(texts, labels, 32, shuffle=True, seed=0), strategy)
    prepare_fit(model, data, strategy)
    history = model.fit(data, epochs=2, verbose=0).history
    np.savez(sys.argv[1], *model.get_weights())
    print(json.dumps({"chief": is_chief(strategy), "replicas": strategy.num_replicas_in_sync,
                      "loss": history["loss"]}), flush=True)
""")


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_on_localhost_agree_on_the_weights(tmp_path):
    cluster = {"worker": [f"127.0.0.1:{p}" for p in _free_ports(2)]}
    procs = []
    try:
        for i in range(2):
            tf_config = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}})
            procs.append(subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(tmp_path / f"worker{i}.npz")], cwd=ROOT,
                env={**ENV, "TF_CONFIG": tf_config}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = [p.communicate(timeout=RUN_CEILING) for p in procs]
    finally:
        for p in procs:  # a worker left waiting for its peer would block forever
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err[-3000:]
    outs = [_last_json(out) for out, _ in results]
    assert [o["chief"] for o in outs] == [True, False]
    assert all(o["replicas"] == 2 for o in outs)
    assert outs[0]["loss"] == outs[1]["loss"]  # the logged loss is the global one on both
    a, b = np.load(tmp_path / "worker0.npz"), np.load(tmp_path / "worker1.npz")
    assert a.files == b.files
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])


# ------------------------------------------------------------------------------ JAX DataParallel, 2 devices

_JAX = textwrap.dedent("""
    import json
    import keras, numpy as np
    from kernest.text._distribute import data_parallel
    from tests import models

    x = models.char_ids(batch=64)
    y = np.arange(64) % 3

    def run():
        keras.utils.set_random_seed(0)
        model = models.word_model()
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
        return model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0).history["loss"]

    single = run()
    dist = data_parallel()
    parallel = run()
    print(json.dumps({"devices": len(dist.device_mesh.devices.reshape(-1)), "single": single,
                      "parallel": parallel}), flush=True)
""")


@pytest.mark.slow
def test_jax_data_parallel_on_two_virtual_devices():
    pytest.importorskip("jax")
    # The device count is added to the suite's XLA flags (tests/conftest.py), which it used to replace.
    flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count=2".strip()
    env = {**ENV, "KERAS_BACKEND": "jax", "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([sys.executable, "-c", _JAX], capture_output=True, text=True, env=env, cwd=ROOT,
                         timeout=RUN_CEILING)
    assert run.returncode == 0, run.stderr[-3000:]
    out = _last_json(run.stdout)
    assert out["devices"] == 2
    np.testing.assert_allclose(out["parallel"], out["single"], atol=LOSS_TOLERANCE)
