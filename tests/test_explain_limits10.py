"""The diagnosis engine's known limits, round 10 (session 32): a required ``training`` argument on JAX/PyTorch
(fit's build wraps Keras' error); portability lints under ``--strict`` (the static batch size ``x.shape[0]`` that
only TensorFlow's build leaves None, a Python ``if`` on a tensor that only PyTorch runs); a softmax over the batch
axis named with the right axis; NumPy on integer ids quiet on PyTorch; a two-tower model told from a siamese one by
its data and the names the user gave. Each rule on its limit's script (tests/user_scripts/probe11/p14, p15, p18;
tests/user_scripts/limits/l57, l71, l72, l73), its printed fix applied, and on models of its own."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from tests.corpus_cases import check_script, kernest_check

pytestmark = pytest.mark.core

SCRIPTS = Path(__file__).parent / "user_scripts"
BACKEND = keras.backend.backend()

not_tensorflow = pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow fails to build it (explained)")
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="only PyTorch runs a Python if on a tensor eagerly")


def _fixed_passes(tmp_path: Path, script: str, *changes: tuple[str, str]) -> None:
    """The script with the printed fix applied (each ``old`` -> ``new``, one place) passes ``--strict``."""
    text = (SCRIPTS / script).read_text()
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    fixed = tmp_path / Path(script).name
    fixed.write_text(text)
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(fixed, strict=True)
    assert code == 0 and "warning:" not in printed, printed


def _checked(script: str, *fixes: str) -> str:
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(SCRIPTS / script, strict=True)
    assert code == 1 and all(fix in printed for fix in fixes), printed
    assert "Traceback" not in printed, printed
    return printed


def _quiet(tmp_path: Path, body: str) -> None:
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 0 and "warning:" not in printed, printed


# --- 1. call(self, x, training) without a default, on every backend -----------------------------------------------

def test_a_required_training_argument_is_named_on_every_backend(tmp_path):
    printed = _checked("probe11/p18_training_arg_no_default.py", "Write def call(self, x, training=None):")
    assert "noisy: data -> noisy" in printed and "NoisyBlock.call declares training without a default" in printed
    _fixed_passes(tmp_path, "probe11/p18_training_arg_no_default.py",
                  ("def call(self, x, training):", "def call(self, x, training=None):"))


def test_a_required_training_argument_in_another_nested_block_gets_its_own_parameters(tmp_path):
    body = ("class Jitter(keras.Model):\n"
            "    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n"
            "        self.norm = L.LayerNormalization(name='norm')\n"
            "        self.noise = L.GaussianNoise(0.1, name='noise')\n"
            "    def call(self, frames, training, mask=None):\n"
            "        return self.noise(self.norm(frames), training=training)\n"
            "class Tagger(keras.Model):\n"
            "    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n"
            "        self.jitter = Jitter(name='jitter')\n"
            "        self.head = L.Dense(3, activation='softmax', name='tag')\n"
            "    def call(self, x):\n"
            "        return self.head(self.jitter(x))\n"
            "net = Tagger(name='tagger')\n"
            "net.compile('adam', 'sparse_categorical_crossentropy')\n"
            "net.fit(np.random.rand(12, 7, 4).astype('float32'), np.random.randint(0, 3, size=(12, 7)), verbose=0)\n")
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "jitter: data -> jitter" in printed, printed
    assert "Jitter.call declares training without a default" in printed, printed
    assert "def call(self, frames, training=None, mask=None):" in printed, printed
    _quiet(tmp_path, body.replace("def call(self, frames, training, mask=None):",
                                  "def call(self, frames, training=None, mask=None):"))


# --- 2a. the static batch size, x.shape[0] --------------------------------------------------------------------------

def test_the_static_batch_size_in_a_reshape_is_named_where_it_runs(tmp_path):
    fix = "keras.ops.reshape(x, (keras.ops.shape(x)[0], -1, 4 * x.shape[-1]))"
    if BACKEND == "tensorflow":  # it fails to build: explained as before
        _checked("probe11/p15_reshape_batch_dim.py", "keras.ops.shape(x)[0]")
    else:
        printed = _checked("probe11/p15_reshape_batch_dim.py", f"`return {fix}` (line 10)")
        assert "warning: patcher/patches: patches -> batch size: Patches.call reads the batch size from the static " \
               "shape (x.shape[0], line 10)" in printed, printed
    _fixed_passes(tmp_path, "probe11/p15_reshape_batch_dim.py", ("(x.shape[0], -1,", "(keras.ops.shape(x)[0], -1,"))


SPLIT = ("class SplitHeads(L.Layer):\n"
         "    def call(self, seq):\n"
         "        b, t, d = seq.shape\n"
         "        h = keras.ops.reshape(seq, (b, t, 2, d // 2))\n"
         "        return keras.ops.transpose(h, (0, 2, 1, 3))\n"
         "s = keras.Input((5, 8))\n"
         "mixer = keras.Model(s, L.Flatten()(SplitHeads(name='split')(L.Dense(8)(s))), name='mixer')\n"
         "x = keras.Input((5, 8))\n"
         "net = keras.Model(x, L.Dense(1)(mixer(x)), name='net')\n"
         "net.compile('adam', 'mse')\n"
         "net.fit(np.random.rand(8, 5, 8).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n")


def test_a_batch_size_unpacked_from_the_shape_is_named_on_every_backend(tmp_path):
    code, printed = check_script(tmp_path, SPLIT, strict=True)
    assert code == 1, printed
    assert "reads the batch size from the static shape (seq.shape, line" in printed, printed
    assert "`b, t, d = keras.ops.shape(seq)`" in printed and "Traceback" not in printed, printed
    _quiet(tmp_path, SPLIT.replace("b, t, d = seq.shape", "b, t, d = keras.ops.shape(seq)"))


@not_tensorflow
def test_a_reshape_that_keeps_the_batch_from_the_static_shape_gets_minus_one(tmp_path):
    body = ("class Flat(L.Layer):\n"
            "    def call(self, x):\n"
            "        return keras.ops.reshape(x, (x.shape[0], x.shape[1] * x.shape[2]))\n"
            "i = keras.Input((4, 3))\n"
            "inner = keras.Model(i, Flat(name='flat')(i), name='inner')\n"
            "o = keras.Input((4, 3))\n"
            "net = keras.Model(o, L.Dense(1)(inner(o)), name='net')\n"
            "net.compile('adam', 'mse')\n"
            "net.fit(np.random.rand(8, 4, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n")
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "warning: inner/flat: flat -> batch size" in printed, printed
    assert "`return keras.ops.reshape(x, (-1, x.shape[1] * x.shape[2]))`" in printed, printed
    assert "(-1 lets the reshape keep the batch axis)" in printed, printed


def test_static_axes_and_a_guarded_batch_size_are_not_flagged(tmp_path):
    _quiet(tmp_path, (
        "class Fold(L.Layer):\n"
        "    def call(self, x):\n"
        "        if x.shape[0] is not None and x.shape[0] < 1:\n"
        "            return x\n"
        "        return keras.ops.reshape(x, (-1, x.shape[1] * x.shape[2]))\n"
        "i = keras.Input((4, 3))\n"
        "inner = keras.Model(i, Fold(name='fold')(i), name='inner')\n"
        "o = keras.Input((4, 3))\n"
        "net = keras.Model(o, L.Dense(1)(inner(o)), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(np.random.rand(8, 4, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n"))


# --- 2b. a Python if on a tensor (PyTorch runs it) -----------------------------------------------------------------

def test_a_python_if_on_a_tensor_is_named_on_every_backend(tmp_path):
    fix = "return keras.ops.where(keras.ops.max(n) > 1.0, x / n, x)"
    printed = _checked("probe11/p14_python_if_on_tensor.py", fix)
    assert "block/safe_norm" in printed, printed
    if BACKEND == "torch":
        assert "SafeNorm.call branches in Python on a tensor's value (`if keras.ops.max(n) > 1.0`, line 11)" in printed
    _fixed_passes(tmp_path, "probe11/p14_python_if_on_tensor.py",
                  ("        if keras.ops.max(n) > 1.0:\n            return x / n\n        return x\n", f"        {fix}\n"))


@torch_only
def test_python_branches_on_tensors_in_another_layer_are_flagged_and_flags_are_not(tmp_path):
    body = ("class Clean(L.Layer):\n"
            "    def call(self, feats, training=None, mask=None):\n"
            "        if training:\n"
            "            feats = feats * 1.0\n"
            "        if mask is not None:\n"
            "            feats = feats * keras.ops.cast(mask, feats.dtype)\n"
            "        if feats.shape[-1] != 6:\n"
            "            raise ValueError('six features')\n"
            "        bad = keras.ops.any(keras.ops.isnan(feats))\n"
            "        if bad:\n"
            "            feats = keras.ops.zeros_like(feats)\n"
            "        return feats\n"
            "f = keras.Input((6,))\n"
            "prep = keras.Model(f, Clean(name='clean')(L.Dense(6)(f)), name='prep')\n"
            "x = keras.Input((6,))\n"
            "net = keras.Model(x, L.Dense(1)(prep(x)), name='net')\n"
            "net.compile('adam', 'mse')\n"
            "net.fit(np.random.rand(8, 6).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n")
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "warning: prep/clean: clean -> Python if: Clean.call branches in Python on a tensor's " \
                         "value (`if bad`, line" in printed, printed
    assert "`feats = keras.ops.where(bad, keras.ops.zeros_like(feats), feats)`" in printed, printed
    assert printed.count("Python if") == 1, printed  # training, mask is not None, a static width: no alarm
    _quiet(tmp_path, body.replace("        if bad:\n            feats = keras.ops.zeros_like(feats)\n",
                                  "        feats = keras.ops.where(bad, keras.ops.zeros_like(feats), feats)\n"))


# --- 3. a softmax over the batch axis ---------------------------------------------------------------------------

def test_a_softmax_over_the_batch_in_attention_pooling_names_the_steps_axis(tmp_path):
    printed = _checked("limits/l71_ops_attention_softmax_over_batch.py", "`weights = ops.softmax(scores, axis=1)`")
    assert "`weights = ops.softmax(scores, axis=0)` (line 14) normalizes over axis 0, the batch" in printed, printed
    assert "scores is (batch, 12, 1), and axis 1 holds its 12 values per sample" in printed, printed
    _fixed_passes(tmp_path, "limits/l71_ops_attention_softmax_over_batch.py", ("axis=0)", "axis=1)"))


def test_a_softmax_over_the_batch_in_a_gate_gets_the_last_axis(tmp_path):
    body = ("class Gate(L.Layer):\n"
            "    def build(self, shape):\n"
            "        self.proj = L.Dense(4, name='proj')\n"
            "    def call(self, h):\n"
            "        mix = keras.ops.softmax(self.proj(h), axis=0)\n"
            "        return keras.ops.concatenate([h, mix], axis=-1)\n"
            "i = keras.Input((6,))\n"
            "router = keras.Model(i, Gate(name='gate')(L.Dense(6)(i)), name='router')\n"
            "x = keras.Input((6,))\n"
            "net = keras.Model(x, L.Dense(1)(router(x)), name='net')\n"
            "net.compile('adam', 'mse')\n"
            "net.fit(np.random.rand(16, 6).astype('float32'), np.random.rand(16, 1).astype('float32'), verbose=0)\n")
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "router/gate" in printed, printed
    assert "self.proj(h) is (batch, 4), and axis 1 holds its 4 values per sample" in printed, printed
    assert "`mix = keras.ops.softmax(self.proj(h), axis=-1)`" in printed, printed
    _quiet(tmp_path, body.replace("axis=0)", "axis=-1)"))


# --- 4. NumPy on integer ids in a call() PyTorch ran ---------------------------------------------------------------

@torch_only
def test_numpy_on_integer_ids_is_quiet_on_torch_and_on_float_values_is_not(tmp_path):
    _quiet(tmp_path, (
        "from keras import ops\n"
        "class PadMask(L.Layer):\n"
        "    def call(self, x, ids):\n"
        "        keep = np.not_equal(ops.convert_to_numpy(ids), 0).astype('float32')\n"
        "        return x * ops.convert_to_tensor(keep)[..., None]\n"
        "ids = keras.Input((9,), dtype='int32', name='ids')\n"
        "vec = L.Embedding(100, 4, name='emb')(ids)\n"
        "inner = keras.Model(ids, L.GlobalAveragePooling1D()(PadMask(name='pad')(vec, ids)), name='inner')\n"
        "w = keras.Input((9,), dtype='int32')\n"
        "net = keras.Model(w, L.Dense(1)(inner(w)), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(np.random.randint(0, 100, (16, 9)), np.random.rand(16, 1).astype('float32'), verbose=0)\n"))
    _quiet(tmp_path, (SCRIPTS / "limits/l57_numpy_count_in_call.py").read_text())
    code, printed = check_script(tmp_path, (
        "from keras import ops\n"
        "class Clip(L.Layer):\n"
        "    def call(self, x, ids):\n"
        "        v = np.clip(ops.convert_to_numpy(x), 0.0, 1.0)\n"
        "        return ops.convert_to_tensor(v) * ops.cast(ids[..., None] > 0, 'float32')\n"
        "ids = keras.Input((9,), dtype='int32', name='ids')\n"
        "vec = L.Embedding(100, 4, name='emb')(ids)\n"
        "inner = keras.Model(ids, L.GlobalAveragePooling1D()(Clip(name='clip')(vec, ids)), name='inner')\n"
        "w = keras.Input((9,), dtype='int32')\n"
        "net = keras.Model(w, L.Dense(1)(inner(w)), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(np.random.randint(0, 100, (16, 9)), np.random.rand(16, 1).astype('float32'), verbose=0)\n"),
        strict=True)
    assert code == 1 and "Clip.call takes its tensor's values out of the model's graph" in printed, printed


# --- 6. two towers or twins: the data and the names the user gave ------------------------------------------------

def test_two_towers_keras_named_stay_quiet_by_their_inputs_and_variables(tmp_path):
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(SCRIPTS / "limits/l72_two_tower_keras_named_towers.py", strict=True)
    assert code == 0 and "warning:" not in printed, printed
    _quiet(tmp_path, (
        "def tower():\n"
        "    f = keras.Input((5,))\n"
        "    return keras.Model(f, L.Dense(3)(L.Dense(8, activation='relu')(f)))\n"
        "a, b = keras.Input((5,)), keras.Input((5,))\n"
        "shopper, product = tower(), tower()\n"
        "sim = L.Dot(axes=1, normalize=True)([shopper(a), product(b)])\n"
        "net = keras.Model([a, b], L.Dense(1, activation='sigmoid')(sim), name='shop')\n"
        "net.compile('adam', 'binary_crossentropy')\n"
        "net.fit([np.random.rand(16, 5).astype('float32'), np.random.rand(16, 5).astype('float32')],"
        " np.random.randint(0, 2, size=(16, 1)), verbose=0)\n"))


def test_siamese_twins_are_flagged_by_their_shared_samples_and_by_copy_names(tmp_path):
    printed = _checked("limits/l73_siamese_keras_named_towers_shared_pool.py",
                       "matcher: functional -> functional_1: functional and functional_1 have the same architecture",
                       "`shared = encoder()`, then `shared(...)` on each input")
    assert "Traceback" not in printed
    _fixed_passes(tmp_path, "limits/l73_siamese_keras_named_towers_shared_pool.py",
                  ("[encoder()(question), encoder()(candidate)]",
                   "[(shared := encoder())(question), shared(candidate)]"))
    code, printed = check_script(tmp_path, (
        "def tower():\n"
        "    f = keras.Input((5,))\n"
        "    return keras.Model(f, L.Dense(3)(f))\n"
        "left, right = keras.Input((5,), name='left'), keras.Input((5,), name='right')\n"
        "d = L.Subtract()([tower()(left), tower()(right)])\n"
        "net = keras.Model([left, right], L.Dense(1, activation='sigmoid')(d), name='pair')\n"
        "net.compile('adam', 'binary_crossentropy')\n"
        "net.fit([np.random.rand(16, 5).astype('float32'), np.random.rand(16, 5).astype('float32')],"
        " np.random.randint(0, 2, size=(16, 1)), verbose=0)\n"), strict=True)
    assert code == 1 and "have the same architecture but each has its own weights" in printed, printed
    shared = ("pool = np.random.rand(10, 5).astype('float32')\n"
              "pairs = np.random.randint(0, 10, size=(32, 2))\n"
              "def tower(name):\n"
              "    f = keras.Input((5,))\n"
              "    return keras.Model(f, L.Dense(3)(f), name=name)\n"
              "q, d = keras.Input((5,), name='query'), keras.Input((5,), name='doc')\n"
              "sim = L.Dot(axes=1, normalize=True)([tower('query_encoder')(q), tower('doc_encoder')(d)])\n"
              "net = keras.Model([q, d], L.Dense(1, activation='sigmoid')(sim), name='dedupe')\n"
              "net.compile('adam', 'binary_crossentropy')\n"
              "net.fit([pool[pairs[:, 0]], pool[pairs[:, 1]]], np.random.randint(0, 2, size=(32, 1)), verbose=0)\n")
    code, printed = check_script(tmp_path, shared, strict=True)  # role names, but both sides from one pool
    assert code == 1 and "query_encoder and doc_encoder have the same architecture" in printed, printed
