"""The diagnosis engine's known limits, round 5 (session 27): a chain of PyTorch in-place calls on a layer's weight,
item assignment on a weight, a generator whose `break` leaves only an inner loop, a cast to integers the loss flows
through, JAX's path of a failure in fit, ``kernest.explain(exc)`` on an error Keras filtered, and NumPy string
arrays written inline. Each rule on the limit's script (tests/user_scripts/limits/l28_ to l33_, and l23_) and on a
model of its own."""

from __future__ import annotations

import ast
import contextlib
import io
import runpy
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers as L
from keras import ops

import kernest
from kernest._lint import lint
from tests.corpus_cases import check_script, kernest_check

pytestmark = pytest.mark.core

LIMITS = Path(__file__).parent / "user_scripts" / "limits"


def _fix_of(printed: str) -> str:
    return printed[printed.index("Fix:"):] if "Fix:" in printed else ""


# --- 1. a chain of torch in-place calls on a weight -------------------------------------------------------------

def test_a_chain_of_torch_inplace_calls_on_a_weight_is_named_and_written_as_one_assign():
    code, printed = kernest_check(LIMITS / "l28_chained_torch_inplace_on_weight.py", strict=True)
    assert code == 1 and "query_encoder/ema" in printed, printed
    assert ("self.feature_ema.assign(self.feature_ema * self.momentum + (1.0 - self.momentum) * "
            "ops.mean(x, axis=0)) (line 20)") in printed, printed
    assert "Reshape" not in printed and "Traceback" not in printed


class _Memory(L.Layer):
    def build(self, input_shape):
        self.memory = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=False, name="memory")

    def call(self, x, training=None):
        if training:
            self.memory.mul_(0.5).add_(ops.mean(x, axis=0) - 1.0).clamp_(-0.25, 1.0)
        return x * self.memory


class _MemoryFixed(_Memory):
    def call(self, x, training=None):
        if training:  # the statement as printed for _Memory
            self.memory.assign(ops.clip(self.memory * 0.5 + (ops.mean(x, axis=0) - 1.0), -0.25, 1.0))
        return x * self.memory


def test_a_three_call_chain_on_another_layer_keeps_the_order_and_its_printed_form_updates_the_weight():
    from kernest._lint_gradient import inplace_statements

    keras.backend.clear_session(free_memory=False)
    layer = _Memory(name="memory")
    layer.build((None, 3))
    stmts = inplace_statements(_Memory, layer)
    assert [(s.fixed, s.state) for s in stmts] == [
        ("self.memory.assign(ops.clip(self.memory * 0.5 + (ops.mean(x, axis=0) - 1.0), -0.25, 1.0))", "variable")]
    x = np.random.default_rng(1).random((8, 3)).astype("float32")
    i = keras.Input((3,), name="x")
    model = keras.Model(i, L.Dense(1, name="out")(_MemoryFixed(name="memory")(i)), name="outer")
    model.compile("sgd", "mse")
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
    want = np.clip(0.5 + x.mean(axis=0) - 1.0, -0.25, 1.0)
    assert np.allclose(keras.ops.convert_to_numpy(model.get_layer("memory").memory), want, atol=1e-5)


# --- 2. item assignment on a weight -----------------------------------------------------------------------------

def test_item_assignment_on_a_weight_gets_its_slice_update_in_the_users_names():
    code, printed = kernest_check(LIMITS / "l29_item_assignment_on_weight.py", strict=True)
    assert code == 1 and "session_encoder/memory" in printed, printed
    assert ("self.slots.assign(ops.slice_update(self.slots.value, (0, 0), ops.broadcast_to(ops.mean(x, axis=0), "
            "(1, 8)))) (line 14)") in printed, printed
    assert "ops.where or ops.slice_update" not in printed


_INDEXES = [  # (the statement as a user writes it on a (3, 4) weight w, v of the shape NumPy broadcasts there)
    ("w[1] = v", (4,)), ("w[-1] = v", ()), ("w[:, 2] = v", (3,)), ("w[0, 1:3] = v", (2,)),
    ("w[1:] = v", (2, 4)), ("w[2, -1] = v", ()), ("w[0] += v", (4,)), ("w[:, 1] *= v", (3,)),
]


@pytest.mark.parametrize("written,value_shape", _INDEXES)
def test_the_slice_update_form_gives_numpys_item_assignment_on_every_backend(written, value_shape):
    from kernest._lint_gradient import _inplace_in

    rng = np.random.default_rng(3)
    w, v = rng.random((3, 4)).astype("float32"), rng.random(value_shape).astype("float32")
    fn = ast.parse(f"def call(self, v):\n    {written.replace('w', 'self.w', 1)}\n").body[0]
    text = ast.unparse(fn)
    found, _ = _inplace_in(fn, text, 1, {"v": None}, "ops", {"w": "variable"}, {"w": (3, 4)})  # type: ignore[arg-type]
    assert len(found) == 1 and found[0][3].startswith("self.w.assign(ops.slice_update("), found
    printed = found[0][3][len("self.w.assign("):-1]
    weight = keras.Variable(w, trainable=False)
    got = keras.ops.convert_to_numpy(eval(printed, {"ops": ops, "self": type("S", (), {"w": weight}),  # noqa: S307
                                                    "v": ops.convert_to_tensor(v)}))
    want = w.copy()
    exec(written, {"w": want, "v": v})  # noqa: S102 - the user's statement, on NumPy
    assert np.allclose(got, want), (written, printed)


# --- 3. a generator whose break leaves only an inner loop --------------------------------------------------------

def test_an_endless_generator_with_a_break_in_its_pass_is_left_alone():
    code, printed = kernest_check(LIMITS / "l30_generator_break_in_inner_loop.py", strict=True)
    assert code == 0 and "data -> detector" not in printed and "cannot tell" not in printed, printed


def _rows_until(lines, passes):
    done = 0
    while True:
        lines.seek(0)
        for line in lines:
            yield np.array([line.split()] * 2, "float32")[:, :3], np.ones((2, 1), "float32")
        done += 1
        if done == passes:
            break


def _rows_inner_break(lines):
    while True:
        lines.seek(0)
        for line in lines:
            if not line.strip():
                break
            yield line

        def skip():
            return None


def test_a_break_out_of_while_true_is_said_with_its_line_and_condition_and_one_of_an_inner_loop_is_not(tmp_path):
    from kernest._lint import _endless_by_its_source, _loop_exits

    rows = tmp_path / "rows.txt"
    rows.write_text("".join(f"{k / 10} {k / 20} {k / 30}\n" for k in range(6)))
    with open(rows) as f:
        first = _rows_until.__code__.co_firstlineno
        assert _loop_exits(_rows_until(f, 2)) == [f"the `break` on line {first + 8}, under `if done == passes:`"]
        assert not _endless_by_its_source(_rows_until(f, 2))
        assert _loop_exits(_rows_inner_break(f)) == [None] and _endless_by_its_source(_rows_inner_break(f))
    body = ("inner = keras.Sequential([keras.Input((3,)), L.Dense(2, name='h')], name='inner')\n"
            "i = keras.Input((3,), name='x')\n"
            "reg = keras.Model(i, L.Dense(1, name='y')(inner(i)), name='reg')\nreg.compile('sgd', 'mse')\n"
            "def rows(lines, passes):\n    done = 0\n    while True:\n        lines.seek(0)\n"
            "        for line in lines:\n            yield np.array([line.split()], 'float32'), np.ones((1, 1))\n"
            "        done += 1\n        if done >= passes:\n            return\n"
            f"reg.fit(rows(open({str(rows)!r}), 2), steps_per_epoch=6, epochs=3, verbose=0)\n")
    code, printed = check_script(tmp_path, body, strict=True)
    assert "reg: data -> reg" in printed and "its `while True:` loop ends at the `return` on line 19, under " \
        "`if done >= passes:`" in printed, printed
    assert "take the `return` on line 19" in printed and ".seek(0)`)" not in printed  # it rewinds already


# --- 4. a cast to integers the loss flows through ------------------------------------------------------------

def test_a_cast_to_integers_used_as_numbers_gets_a_straight_through_truncation():
    code, printed = kernest_check(LIMITS / "l31_int_cast_in_call.py", strict=True)
    assert code == 1 and "compressor/quantize" in printed and "cuts the gradient" in printed, printed
    assert ("`steps = (code * self.levels) + ops.stop_gradient(ops.trunc(code * self.levels) - (code * "
            "self.levels))`") in printed, printed


class _Bucketed(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.enc = L.Dense(3, activation="sigmoid", name="enc")
        self.dec = L.Dense(2, name="dec")

    def call(self, x):
        level = self.enc(x) * 4.0
        bucket = ops.cast(level, "int32")
        return self.dec(ops.cast(bucket, "float32") / 4.0)


class _BucketedFixed(_Bucketed):
    def call(self, x):
        level = self.enc(x) * 4.0
        bucket = level + ops.stop_gradient(ops.trunc(level) - level)
        return self.dec(ops.cast(bucket, "float32") / 4.0)


class _Picked(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.enc = L.Dense(1, activation="sigmoid", name="enc")
        self.table = L.Embedding(5, 2, name="table")

    def call(self, x):
        row = ops.cast(self.enc(x)[:, 0] * 4.0, "int32")
        return self.table(row)


def _trains(model, x, y):
    before = [np.array(keras.ops.convert_to_numpy(v)) for v in model.get_layer("enc").trainable_weights]
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
    return any(not np.allclose(b, keras.ops.convert_to_numpy(v))
               for b, v in zip(before, model.get_layer("enc").trainable_weights))


def test_a_cast_to_integers_in_another_models_call_by_its_use_and_the_printed_form_trains_the_layer_before():
    keras.backend.clear_session(free_memory=False)
    x = np.random.default_rng(2).random((8, 5)).astype("float32")
    model = _Bucketed(name="bucketed")
    model(x)
    found = [f for f in lint(model) if "cast to integers" in f.interface]
    assert len(found) == 1 and "cuts the gradient" in found[0].fix, [str(f) for f in lint(model)]
    assert "`bucket = level + ops.stop_gradient(ops.trunc(level) - level)`" in found[0].fix
    fixed = _BucketedFixed(name="fixed")
    fixed(x)
    assert np.allclose(keras.ops.convert_to_numpy(fixed(x)), keras.ops.convert_to_numpy(
        fixed.dec(ops.cast(ops.cast(fixed.enc(x) * 4.0, "int32"), "float32") / 4.0)), atol=1e-6)
    assert not [f for f in lint(fixed) if "cast to integers" in f.interface]
    assert _trains(fixed, x, np.ones((8, 2), "float32"))
    picked = _Picked(name="picked")  # its integers are an index: said so, no straight-through statement
    picked(x)
    found = [f for f in lint(picked) if "cast to integers" in f.interface]
    assert len(found) == 1 and "used as positions (an index)" in found[0].fix and "trunc" not in found[0].fix


# --- 5. JAX's path of a failure in fit -------------------------------------------------------------------------

def test_a_failure_in_fit_names_the_fitted_model_first_on_every_backend():
    code, printed = kernest_check(LIMITS / "l23_torch_inplace_on_layer_weight.py", strict=True)
    assert code == 1 and "scorer/feature_block/center: embed -> center" in printed, printed


class _Scale(L.Layer):
    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, x, training=None):
        if training:
            self.gain.div_(2.0)
        return x * self.gain


def test_a_failure_in_fit_three_models_deep_keeps_every_level(tmp_path):
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((4,), name="a")
    inner = keras.Model(i, _Scale(name="scale")(L.Dense(4, name="pre")(i)), name="inner")
    j = keras.Input((4,), name="b")
    middle = keras.Model(j, inner(j), name="middle")
    k = keras.Input((4,), name="c")
    outer = keras.Model(k, L.Dense(1, name="head")(middle(k)), name="outer")
    outer.compile("sgd", "mse")
    with kernest.trace(), pytest.raises(Exception) as caught:
        outer.fit(np.ones((4, 4)), np.ones((4, 1)), epochs=1, verbose=0)
    err = kernest.explain(caught.value)
    assert err is not None and err.path == "outer/middle/inner/scale", err
    assert "self.gain.assign(self.gain / 2.0)" in err.mismatches[0].fix


# --- 6. kernest.explain(exc) on an error Keras filtered ------------------------------------------------------

def test_explain_in_the_users_own_try_except_answers_as_check_does():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(str(LIMITS / "l32_explain_in_try_except.py"), run_name="__main__")
    printed = out.getvalue()
    assert "backbone/res_block: input:tabular -> res_block" in printed, printed
    assert "Write def call(self, x, training=None):" in printed and "No nearby input" not in printed


def test_explain_of_case_198_outside_a_trace_and_the_users_traceback_is_given_back():
    from tests.corpus_cases import cases

    case = next(c for c in cases() if c.id.startswith("198_"))
    keras.backend.clear_session(free_memory=False)
    try:
        runpy.run_path(str(case.broken), run_name="__main__")
    except Exception as e:  # noqa: BLE001 - the user's own except, as in a notebook
        caught = e
    kept = caught.__traceback__
    err = kernest.explain(caught)
    assert caught.__traceback__ is kept
    assert err is not None and err.path.endswith("block"), err
    assert "def call(self, inputs, training=None):" in err.mismatches[0].fix
    _, printed = kernest_check(case.broken)
    assert _fix_of(printed).rstrip() == f"Fix: {err.mismatches[0].fix}".rstrip()


# --- 7. NumPy string arrays written inline -------------------------------------------------------------------

def test_an_inline_string_array_for_a_text_model_gets_the_named_arrays_answer():
    code, printed = kernest_check(LIMITS / "l33_inline_string_array_text_model.py", strict=True)
    shown = 'np.array([["great pacing and cast"], ...])'
    assert code == 1 and f"received {shown}, a NumPy array of strings" in printed, printed
    if keras.backend.backend() == "tensorflow":
        assert f"tf.constant({shown})" in printed
    else:
        assert f"its review_reader/vectorize layer called on {shown} outside the model" in printed


def test_an_inline_string_array_for_another_text_model_is_answered_as_the_same_array_named(tmp_path):
    build = ("lookup = L.StringLookup(vocabulary=['red', 'green', 'blue'], name='lookup')\n"
             "c = keras.Input((1,), dtype='string', name='colour')\n"
             "inner = keras.Model(c, L.Flatten(name='flat')(L.Embedding(4, 3, name='emb')(lookup(c))), "
             "name='colours')\n"
             "d = keras.Input((1,), dtype='string', name='paint')\n"
             "m = keras.Model(d, L.Dense(1, name='y')(inner(d)), name='painter')\nm.compile('sgd', 'mse')\n")
    code, inline = check_script(tmp_path, build + "m.fit(np.asarray([['red'], ['blue']]), np.ones((2, 1)))\n")
    (tmp_path / "named").mkdir()  # another file: linecache keeps the first one's lines
    code_named, named = check_script(tmp_path / "named", build + "paints = np.asarray([['red'], ['blue']])\n"
                                                                 "m.fit(paints, np.ones((2, 1)))\n")
    assert code == code_named == 1 and "np.asarray([['red'], ['blue']]), a NumPy array of strings" in inline, inline
    assert _fix_of(inline).replace("np.asarray([['red'], ['blue']])", "paints") == \
        _fix_of(named).replace("m.fit(tf.constant(paints), np.ones((2, 1)))", "tf.constant(paints)"), (inline, named)
