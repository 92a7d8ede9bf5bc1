"""The diagnosis engine's known limits, rounds 1-3 (sessions 23-25): a layer made inside call() on every backend,
the run-out lint on Python generators and PyDatasets, float16 probabilities behind a nested model's output, steps
without a gradient (in a nested graph and in a user's call), NumPy in Lambdas, in-place changes on PyTorch.
Small models of their own (not the corpus cases, not tests/user_scripts/limits/)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers as L
from keras import ops

from kernest._lint import lint
from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def _script(tmp_path, body: str):
    return check_script(tmp_path, body, strict=True)


_REGRESSOR = ("inner = keras.Sequential([keras.Input((3,)), L.Dense(2, name='h')], name='inner')\n"
              "i = keras.Input((3,), name='x')\n"
              "reg = keras.Model(i, L.Dense(1, name='y')(inner(i)), name='reg')\nreg.compile('sgd', 'mse')\n"
              "xs, ys = np.random.rand(10, 3), np.random.rand(10, 1)\n")


# --- a layer made inside call() -------------------------------------------------------------------------------

class _Scaled(L.Layer):
    def call(self, x):
        w = L.Dense(x.shape[-1], use_bias=False)
        return w(x) * 2.0


class _Fine(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(4)

    def call(self, x):
        return L.Dropout(0.1)(self.proj(x))  # no weights made per call: not a finding


def test_a_layer_made_in_call_is_found_at_its_nested_path_with_the_users_constructor():
    i = keras.Input((4,))
    part = keras.Model(i, _Scaled(name="scaled")(_Fine(name="fine")(i)), name="part")
    j = keras.Input((4,))
    model = keras.Model(j, L.Dense(1, name="out")(part(j)), name="outer")
    model.compile("adam", "mse")  # builds and trains on JAX and PyTorch, without the Dense's weights
    found = [f for f in lint(model) if ".call ->" in f.interface]
    assert [(f.path, f.interface) for f in found] == [("part/scaled", "scaled.call -> Dense")]
    assert "L.Dense(x.shape[-1], use_bias=False)" in found[0].problem
    assert "_Scaled.build(self, input_shape): self.dense = L.Dense(input_shape[-1], use_bias=False)" in found[0].fix
    assert "self.dense(x)" in found[0].fix


# --- the run-out lint: generators and PyDatasets --------------------------------------------------------------

def test_a_finite_generator_function_is_counted_from_a_fresh_copy_and_flagged(tmp_path):
    code, printed = _script(tmp_path, _REGRESSOR + (
        "def chunks(a, b, size=5):\n    for k in range(0, len(a), size):\n        yield a[k:k + size], b[k:k + size]\n"
        "reg.fit(chunks(xs, ys), steps_per_epoch=2, epochs=2, verbose=0)\n"))
    assert code == 1 and "reg: data -> reg" in printed and "chunks(...) yields 2 in all" in printed
    assert "runs out in 1 of 2 epochs" in printed and "set steps_per_epoch=1" in printed


def test_a_generator_expression_over_a_sized_object_is_counted_and_one_over_a_map_is_not():
    from kernest._trace import generator_again

    i = keras.Input((3,), name="x")
    model = keras.Model(i, L.Dense(1, name="y")(i), name="reg")
    model.compile("sgd", "mse")
    xs = np.zeros((10, 3))
    # what fit((xs[k:k + 5] for k in (0, 5)), steps_per_epoch=3, epochs=2) records: a copy counts 2 batches
    data = (xs[k:k + 5] for k in (0, 5))
    model._kernest_data, model._kernest_data_again, model._kernest_steps = data, generator_again(data), (3, 2)
    found = [f for f in lint(model) if f.interface == "data -> reg"]
    assert len(found) == 1 and "the generator expression yields 2 in all" in found[0].problem
    assert "runs out in 2 of 2 epochs" in found[0].problem and "steps_per_epoch=1" in found[0].fix
    assert len(list(data)) == 2  # the user's own generator is not used up
    # over a map of the user's function on a list, or a zip of lists (round 3): copied and counted
    for data in ((r for r in map(np.asarray, [xs[:5], xs[5:]])), (a for a, _ in zip([xs[:5], xs[5:]], "ab"))):
        model._kernest_data, model._kernest_data_again = data, generator_again(data)
        found = [f for f in lint(model) if f.interface == "data -> reg"]
        assert len(found) == 1 and "the generator expression yields 2 in all" in found[0].problem
        assert len(list(data)) == 2  # the user's own iterator is not used up
    # over the user's own iterator class: no safe copy, and the finding says the count is unknown
    data = (r for r in map(np.asarray, _Chunks([xs[:5], xs[5:]])))
    model._kernest_data, model._kernest_data_again = data, generator_again(data)
    found = [f for f in lint(model) if f.interface == "data -> reg"]
    assert len(found) == 1 and "kernest cannot tell how many batches it gives" in found[0].problem
    assert "at least 6 batches" in found[0].fix


class _Chunks:
    def __init__(self, parts):
        self.parts = list(parts)

    def __iter__(self):
        return self

    def __next__(self):
        if not self.parts:
            raise StopIteration
        return self.parts.pop(0)


def test_a_generator_function_given_an_iterator_counts_a_copy_and_leaves_the_users_iterator_whole():
    from kernest._trace import generator_again

    def pairs(it, scale=1):
        for a, b in it:
            yield a * scale, b

    xs, ys = [1, 2, 3], "abc"
    given = pairs(zip(xs, ys), scale=2)
    again = generator_again(given)  # round 2's copy called pairs on the same zip: counting used it up
    assert again is not None and len(list(again())) == 3 and len(list(again())) == 3
    assert list(given) == [(2, "a"), (4, "b"), (6, "c")]
    assert generator_again(pairs(_Chunks([(1, "a")]))) is None  # an iterator kernest cannot copy: not counted


def test_endless_and_closure_generators(tmp_path):
    from kernest._trace import generator_again

    def endless(n):
        while True:
            yield n

    def finite(*parts, twice=False):
        yield from parts * (2 if twice else 1)

    step = 3

    def closure():
        yield step

    again = generator_again(finite(1, 2, twice=True))
    assert again is not None and list(again()) == [1, 2, 1, 2]
    assert list(generator_again(closure())()) == [3] and next(generator_again(endless(7))()) == 7
    import itertools

    sliced = (b for b in itertools.islice(endless(2), 4))  # an islice of a fresh generator is copied too
    assert list(generator_again(sliced)()) == [2, 2, 2, 2] and list(sliced) == [2, 2, 2, 2]
    started = endless(1)
    next(started)
    assert generator_again(started) is None


class _Rows(keras.utils.PyDataset):
    def __init__(self, n, **kw):
        super().__init__(**kw)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2, 3), i, "float32"), np.zeros((2, 1), "float32")


def test_a_pydataset_shorter_than_the_steps_is_flagged_without_repeat_and_does_not_crash_the_data_rules():
    i = keras.Input((3,), name="x")
    model = keras.Model(i, L.Dense(1, name="y")(i), name="reg")
    model.compile("sgd", "mse")
    model._kernest_data, model._kernest_steps = _Rows(4), (3, 2)  # what fit(_Rows(4), 3, 2) records
    found = [f for f in lint(model) if f.interface == "data -> reg"]
    assert len(found) == 1 and "_Rows(...) gives 4 per pass" in found[0].problem
    assert "runs out in 1 of 2 epochs" in found[0].problem and ".repeat()" not in found[0].fix
    model._kernest_steps = (2, 4)  # 2 steps a pass, reset at each pass's end: never short
    assert not [f for f in lint(model) if f.interface == "data -> reg"]


# --- float16 probabilities behind a nested model's output -------------------------------------------------------

@pytest.fixture(scope="module")
def mixed_models():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        t_in = keras.Input((6,))
        tower = keras.Model(t_in, L.Dense(3, activation="softmax", name="probs")(t_in), name="tower")
        i = keras.Input((6,), name="x")
        cast = keras.Model(i, L.Activation("linear", dtype="float32", name="cast32")(tower(i)), name="cast")
        flat = keras.Model(i, L.Reshape((3, 1), name="column")(tower(i)), name="flat")
        t2 = keras.Model(t_in, L.Dense(3, activation="softmax", name="probs32", dtype="float32")(t_in), name="t2")
        kept = keras.Model(i, L.Activation("linear", dtype="float32", name="cast32b")(t2(i)), name="kept")
        for model in (cast, flat, kept):
            model.compile("adam", "categorical_crossentropy")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return cast, flat, kept


def test_float16_softmax_behind_a_float32_cast_or_a_reshape_is_blamed_on_the_softmax(mixed_models):
    cast, flat, kept = mixed_models
    for model, after in ((cast, "cast32"), (flat, "column")):
        found = [f for f in lint(model) if "policy" in f.problem]
        assert [(f.path, f.interface) for f in found] == [("tower/probs", "probs -> loss")], model.name
        assert f"through {after}" in found[0].problem and 'name="probs", dtype="float32")' in found[0].fix
    assert not [f for f in lint(kept) if "policy" in f.problem or "logits" in f.problem]
    assert not [f for f in lint(cast) if "logits" in f.problem]  # a linear cast after softmax is not logits


def test_a_subclassed_model_around_a_float16_sigmoid_tower_is_flagged():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        s_in = keras.Input((4,))
        tower = keras.Model(s_in, L.Dense(1, activation="sigmoid", name="p_click")(s_in), name="ctr")

        class Ranker(keras.Model):
            def __init__(self, **kw):
                super().__init__(**kw)
                self.emb, self.tower = L.Dense(4, name="emb"), tower

            def call(self, x):
                return self.tower(self.emb(x))

        model = Ranker(name="ranker")
        model.compile("adam", "binary_crossentropy")
        model(np.zeros((2, 5), "float32"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    found = [f for f in lint(model) if "policy" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("ctr/p_click", "p_click -> loss")]


# --- round 2 (session 24): a step function between trainable layers inside a nested model --------------------

def _fit_once(model, x, y):
    model.compile("sgd", "mse")
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
    return {w.path: not np.allclose(b, keras.ops.convert_to_numpy(w)) for w, b in zip(model.trainable_weights, before)}


def test_a_step_inside_a_nested_model_names_the_weights_before_it_and_its_straight_through_fix_trains_them():
    from keras import ops

    keras.backend.clear_session(free_memory=False)
    t_in = keras.Input((5,))
    tagger = keras.Model(t_in, L.Lambda(lambda z: ops.cast(ops.argmax(z, -1), "float32")[:, None], name="choose")(
        L.Dense(3, name="logits3")(t_in)), name="router")
    i = keras.Input((5,), name="f")
    model = keras.Model(i, L.Dense(1, name="head")(L.Concatenate()([tagger(i), i])), name="outer")
    found = [f for f in lint(model) if "step function" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("router/choose", "logits3 -> choose")]
    assert "(router/logits3)" in found[0].problem and "argmax" in found[0].problem
    assert 'arange(3, dtype="float32")' in found[0].fix and "keepdims=True" in found[0].fix
    # the fix, applied as written, keeps the forward values and trains the layer before it
    fixed_layer = eval(found[0].fix.split("straight-through form, ")[1].split(": the same values")[0],
                       {"L": L, "ops": ops})
    x = np.random.default_rng(1).random((6, 5)).astype("float32")
    logits = tagger.get_layer("logits3")
    scores = logits(x)
    assert np.allclose(keras.ops.convert_to_numpy(fixed_layer(scores)),
                       keras.ops.convert_to_numpy(tagger.get_layer("choose")(scores)))
    fixed = keras.Model(i, L.Dense(1, name="head2")(L.Concatenate()([fixed_layer(logits(i)), i])), name="fixed")
    assert not [f for f in lint(fixed) if "step function" in f.problem]
    moved = _fit_once(fixed, x, np.ones((6, 1), "float32"))
    assert moved["logits3/kernel"] and moved["head2/kernel"]


def test_a_rounding_step_in_a_nested_sequential_and_the_cases_that_still_get_a_gradient():
    from keras import ops

    keras.backend.clear_session(free_memory=False)
    seq = keras.Sequential([keras.Input((4, 6)), L.Dense(2, name="proj"),
                            L.Lambda(lambda h: ops.round(h * 3.0), name="snap")], name="quant")
    i = keras.Input((4, 6))
    model = keras.Model(i, L.Dense(1, name="read")(L.Flatten()(seq(i))), name="m")
    found = [f for f in lint(model) if "step function" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("quant/snap", "proj -> snap")]
    assert "L.Lambda(lambda h: h + ops.stop_gradient(ops.round(h * 3.0) - h), name=\"snap\")" in found[0].fix
    # a skip path around the step still trains proj; a step on the raw input has nothing before it to starve
    j = keras.Input((4, 6))
    h = L.Dense(2, name="proj_b")(j)
    skip = keras.Model(j, L.Dense(1)(L.Flatten()(L.Add()([L.Lambda(lambda t: ops.round(t))(h), h]))))
    first = keras.Model(j, L.Dense(1)(L.Flatten()(L.Lambda(lambda t: ops.round(t))(j))))
    assert not [f for m in (skip, first) for f in lint(m) if "step function" in f.problem]


# --- round 2: NumPy inside a nested Lambda ---------------------------------------------------------------------

def test_numpy_in_a_nested_lambda_gets_the_full_path_and_the_same_lambda_in_keras_ops():
    import kernest

    keras.backend.clear_session(free_memory=False)
    i = keras.Input((3, 4), name="frames")
    h = L.Dense(4, name="enc")(i)
    x = np.random.default_rng(0).random((2, 3, 4)).astype("float32")
    with pytest.raises(Exception) as caught:
        front = keras.Model(i, L.Lambda(lambda v: np.clip(np.exp(v), 0.0, 1.0), name="root_clip")(h), name="front")
        front.compile("sgd", "mse")  # PyTorch builds it (NumPy reads the tensor's values) and fails in training
        front.fit(x, x, epochs=1, verbose=0)
    err = kernest.explain(caught.value, front if "front" in locals() else None)
    assert err is not None and err.mismatches[0].path == "front/root_clip"
    assert err.mismatches[0].interface == "enc -> root_clip"
    fix = err.mismatches[0].fix
    assert "np.clip(np.exp(v), 0.0, 1.0)" in fix and "traced" in fix
    written = fix.split("every backend: ")[1].rstrip(".")
    assert written == 'L.Lambda(lambda v: ops.clip(ops.exp(v), 0.0, 1.0), name="root_clip")'  # ops as imported here
    fixed = eval(written, {"L": L, "ops": ops})
    front = keras.Model(i, fixed(h), name="front")  # the fix builds, and gives NumPy's values
    got = keras.ops.convert_to_numpy(fixed(x))
    assert front.output.shape == (None, 3, 4) and np.allclose(got, np.clip(np.exp(x), 0.0, 1.0))


# --- round 2: an in-place op on a tensor in a custom layer's call (PyTorch autograd) ---------------------------

class _Squash(L.Layer):
    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], 3), name="w")

    def call(self, feats):
        h = keras.ops.tanh(keras.ops.matmul(feats, self.w))
        h *= 0.5
        return h


class _SquashFixed(_Squash):
    def call(self, feats):
        h = keras.ops.tanh(keras.ops.matmul(feats, self.w))
        h = h * 0.5
        return h


def test_an_inplace_change_to_a_saved_output_is_flagged_and_explained_on_pytorch_with_its_out_of_place_fix():
    # (the HAN of tests/models_6.py: test_real_world_6's check test expects this warning on its AttLayer)
    keras.backend.clear_session(free_memory=False)

    def model(cls):
        i = keras.Input((4,))
        inner = keras.Model(i, cls(name="squash")(L.Dense(4, name="pre")(i)), name="core")
        j = keras.Input((4,))
        outer = keras.Model(j, L.Dense(1, name="y")(inner(j)), name="net")
        outer.compile("sgd", "mse")
        return outer

    broken = model(_Squash)
    assert [(f.path, f.fix) for f in lint(broken) if "in place" in f.problem] == [
        ("core/squash", f"write it out of place: h = h * 0.5 (line {_Squash.call.__code__.co_firstlineno + 2}).")]
    x, y = np.ones((4, 4), "float32"), np.ones((4, 1), "float32")
    if keras.backend.backend() == "torch":
        import kernest

        with pytest.raises(RuntimeError, match="inplace") as caught:
            broken.fit(x, y, epochs=1, verbose=0)
        err = kernest.explain(caught.value, broken)
        assert err is not None and err.path == "core/squash" and err.interface == "pre -> squash"
        assert "h = h * 0.5" in err.mismatches[0].fix
    fixed = model(_SquashFixed)
    assert not [f for f in lint(fixed) if "in place" in f.problem]
    assert np.isfinite(fixed.fit(x, y, epochs=1, verbose=0).history["loss"][0])


# --- round 2: a layer made in a helper that call() calls ----------------------------------------------------

def _project(t, width):
    return L.Dense(width, name="made_late")(t)


class _Mixer(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.norm = L.LayerNormalization()

    def _mix(self, x):
        return _project(self.norm(x), 3)  # two levels down: a method, then a function of this module

    def call(self, x):
        return self._mix(x)


class _Tidy(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(3)

    def _mix(self, x):
        return self.proj(x)

    def call(self, x):
        return L.Dropout(0.1)(self._mix(x))


def test_a_layer_made_in_the_users_helpers_two_levels_below_call_is_found():
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((5,))
    block = keras.Model(i, _Tidy(name="tidy")(_Mixer(name="mixer")(i)), name="block")
    j = keras.Input((5,))
    model = keras.Model(j, L.Dense(1, name="out")(block(j)), name="top")
    found = [f for f in lint(model) if ".call ->" in f.interface]
    assert [(f.path, f.interface) for f in found] == [("block/mixer", "mixer.call -> Dense")]
    assert "in _Mixer._mix -> _project" in found[0].problem
    assert 'self.dense = L.Dense(width, name="made_late")' in found[0].fix and "_Mixer.__init__" in found[0].fix


# --- round 2: the trainable rule on a subclassed model built partly by compile, partly by fit -------------------

def test_a_model_built_partly_by_fit_is_not_unfrozen_but_a_real_change_after_fit_is_flagged():

    keras.backend.clear_session(free_memory=False)
    s_in = keras.Input((4,))
    head = keras.Model(s_in, L.Dense(1, name="p")(s_in), name="head")

    class Wrapped(keras.Model):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.body, self.head = L.Dense(4, name="body"), head

        def call(self, x):
            return self.head(self.body(x))

    model = Wrapped(name="wrapped")
    model.compile("sgd", "mse")  # head is built (2 variables), body is not: fit builds it
    model._kernest_compiled_with = [id(v) for v in model.trainable_variables]  # as kernest check records it
    model.fit(np.ones((4, 7), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    assert not [f for f in lint(model) if "optimizer" in f.interface]
    model.body.trainable = False  # a real change after training: the optimizer still holds body's variables
    found = [f for f in lint(model) if "optimizer" in f.interface]
    assert [f.path for f in found] == ["body"] and "was frozen after wrapped was compiled" in found[0].problem


def test_a_lambda_calling_numpy_that_builds_anyway_is_flagged_and_numpy_on_constants_is_not():
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((3,), name="counts")
    outs = [L.Lambda(lambda c: c * np.float32(2.0), name="twice")(i)]  # NumPy on a constant: fine everywhere
    if keras.backend.backend() == "torch":  # NumPy reads the CPU input, which needs no gradient: it builds
        outs.append(L.Lambda(lambda c: np.log1p(c), name="squash")(i))
    found = [(f.path, f.interface, f.fix) for f in lint(keras.Model(i, outs, name="feats")) if "NumPy" in f.interface]
    assert found == ([("squash", "squash -> NumPy", 'write it with keras.ops, which takes Keras tensors on every '
                       'backend: L.Lambda(lambda c: ops.log1p(c), name="squash").')]
                     if keras.backend.backend() == "torch" else [])


# --- round 3 (session 25): a step function inside a user's call() ---------------------------------------------

class _Gate(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(6, name="proj6")

    def call(self, feats):
        h = self.proj(feats)
        return ops.cast(h > 0.0, "float32")


class _Decoder(_Gate):
    def call(self, feats, training=None):
        h = self.proj(feats)
        return h if training else ops.one_hot(ops.argmax(h, axis=-1), 6)  # the pick only at inference


class _GateFixed(_Gate):
    def call(self, feats):
        h = self.proj(feats)
        return h + ops.stop_gradient(ops.cast(h > 0.0, "float32") - h)


class _Bucketer(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.score = L.Dense(5, name="bucket_scores")
        self.read = L.Dense(1, name="read")

    def call(self, x):
        idx = ops.argmax(self.score(x), axis=-1)
        return self.read(ops.cast(idx, "float32")[:, None] + x)


class _BucketerFixed(_Bucketer):
    def call(self, x):
        index = ops.sum(ops.softmax(self.score(x), axis=-1) * ops.arange(5, dtype="float32"), axis=-1); idx = index + ops.stop_gradient(ops.cast(ops.argmax(self.score(x), axis=-1), "float32") - index)  # noqa: E501, E702
        return self.read(ops.cast(idx, "float32")[:, None] + x)


def test_a_step_in_a_users_call_names_the_starved_sublayer_and_its_straight_through_statement_trains_it():
    keras.backend.clear_session(free_memory=False)
    x, y = np.random.default_rng(2).random((6, 3)).astype("float32"), np.ones((6, 1), "float32")

    def nested(cls):
        i = keras.Input((3,))
        inner = keras.Model(i, cls(name="gate")(i), name="gating")
        j = keras.Input((3,))
        return keras.Model(j, L.Dense(1, name="y")(inner(j)), name="net")

    found = [f for f in lint(nested(_Gate)) if "step function" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("gating/gate", "gate.call -> comparison")]
    assert "(gating/gate/proj6)" in found[0].problem and "proj6's output" in found[0].problem
    assert "`return h + ops.stop_gradient(ops.cast(h > 0.0, \"float32\") - h)`" in found[0].fix
    assert not [f for f in lint(nested(_Decoder)) if "step function" in f.problem]  # it trains on its scores
    bucketer = _Bucketer(name="bucketer")
    bucketer(x)
    found = [f for f in lint(bucketer) if "step function" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("bucketer", "bucketer.call -> argmax")]
    assert "(bucket_scores)" in found[0].problem and "read" not in found[0].problem.split("(bucket_scores)")[1]
    assert ("`index = ops.sum(ops.softmax(self.score(x), axis=-1) * ops.arange(5, dtype=\"float32\"), axis=-1); "
            "idx = index + ops.stop_gradient(ops.cast(ops.argmax(self.score(x), axis=-1), \"float32\") - index)`"
            ) in found[0].fix  # arange(5): the width of bucket_scores, the same statements as _BucketerFixed's
    # the statements as printed: the same values forward, and the starved weights now train
    fixed_gate, fixed_bucketer = nested(_GateFixed), _BucketerFixed(name="fixed")
    fixed_bucketer(x)
    assert not [f for m in (fixed_gate, fixed_bucketer) for f in lint(m) if "step function" in f.problem]
    gate = fixed_gate.get_layer("gating").get_layer("gate")
    assert np.array_equal(keras.ops.convert_to_numpy(gate(x)),
                          keras.ops.convert_to_numpy(ops.cast(gate.proj(x) > 0.0, "float32")))
    moved = _fit_once(fixed_gate, x, y)  # (the lint above took the backend's gradient of both fixed models)
    assert [k for k, v in moved.items() if v and k.endswith("proj6/kernel")] == [
        k for k in moved if k.endswith("proj6/kernel")] and len(moved) == 4


# --- round 3: in-place changes in the helpers call() calls, torch's in-place methods, item assignment -----------

def _floor_small(w):
    w[w < 0.1] = 0.0
    return w


class _Sharpen(L.Layer):
    def _renorm(self, p, m):
        p.masked_fill_(m < 0.5, 0.0)
        return _floor_small(p)

    def call(self, x):
        p = ops.softmax(x * 3.0)
        return self._renorm(p, x)


class _SharpenFixed(_Sharpen):
    def call(self, x):
        p = ops.softmax(x * 3.0)
        p = ops.where(x < 0.5, 0.0, p)
        return ops.where(p < 0.1, 0.0, p)


def test_inplace_statements_in_helpers_two_levels_below_call_are_named_and_written_out_of_place():
    import kernest

    keras.backend.clear_session(free_memory=False)
    first = _Sharpen._renorm.__code__.co_firstlineno
    found = [(s.where, s.line, s.text, s.made_by, s.fixed) for s in
             __import__("kernest._lint_gradient", fromlist=["x"]).inplace_statements(_Sharpen)]
    assert found == [
        ("_Sharpen._renorm (called from _Sharpen.call)", first + 1, "p.masked_fill_(m < 0.5, 0.0)", "softmax",
         "p = ops.where(m < 0.5, 0.0, p)"),
        ("_Sharpen._renorm -> _floor_small (called from _Sharpen.call)", _floor_small.__code__.co_firstlineno + 1,
         "w[w < 0.1] = 0.0", "softmax", "w = ops.where(w < 0.1, 0.0, w)")]
    x = np.random.default_rng(3).random((4, 5)).astype("float32")
    i = keras.Input((5,))
    try:  # TensorFlow and JAX refuse torch's in-place method where the model is built; PyTorch fails in training
        inner = keras.Model(i, _Sharpen(name="sharpen")(L.Dense(5, name="pre")(i)), name="att")
        model = keras.Model(i, L.Dense(1, name="y")(inner(i)), name="outer")
        model.compile("sgd", "mse")
        model.fit(x, x[:, :1], epochs=1, verbose=0)
        raise AssertionError("the in-place statements did not fail")
    except (AttributeError, TypeError, RuntimeError) as exc:
        err = kernest.explain(exc, model if "model" in locals() else None)
    assert err is not None and err.path.endswith("sharpen") and err.interface.endswith("-> sharpen")
    assert "p = ops.where(m < 0.5, 0.0, p)" in err.mismatches[0].fix
    fixed = _SharpenFixed()  # the statements as printed give the values the in-place ones meant
    want = np.exp(x * 3.0) / np.exp(x * 3.0).sum(-1, keepdims=True)
    want[x < 0.5] = 0.0
    want[want < 0.1] = 0.0
    assert np.allclose(keras.ops.convert_to_numpy(fixed(x)), want, atol=1e-6)


# --- round 3: NumPy in a named def (or a method) given to a Lambda --------------------------------------------

def _log_energy(frames):
    squared = frames * frames
    total = np.sum(squared, axis=-1, keepdims=True)
    return np.log(total + np.float32(1e-3))


class _Scaler:
    gain = 4.0

    def cube_root(self, v):
        return np.cbrt(v) * np.sqrt(self.gain)


def test_numpy_in_a_named_def_or_method_given_to_a_lambda_is_rewritten_statement_by_statement():
    import kernest
    from kernest._lint_gradient import lambda_in_keras_ops

    keras.backend.clear_session(free_memory=False)
    first = _log_energy.__code__.co_firstlineno
    written, fix = lambda_in_keras_ops(_log_energy, "energy")
    assert written == ["np.sum(squared, axis=-1, keepdims=True)", "np.log(total + np.float32(1e-3))"]
    assert fix == ("Write _log_energy with keras.ops, which takes Keras tensors on every backend: "
                   f"`total = ops.sum(squared, axis=-1, keepdims=True)` (line {first + 2}); "
                   f"`return ops.log(total + np.float32(0.001))` (line {first + 3}).")
    written, fix = lambda_in_keras_ops(_Scaler().cube_root, "cube")  # self.gain is a constant: np.sqrt kept
    assert written == ["np.cbrt(v)"] and "`return ops.cbrt(v) * np.sqrt(self.gain)`" in fix
    x = np.random.default_rng(4).random((2, 3, 4)).astype("float32")
    i = keras.Input((3, 4), name="frames")
    with pytest.raises(Exception) as caught:
        front = keras.Model(i, L.Lambda(_log_energy, name="energy")(L.Dense(4, name="filters")(i)), name="front")
        front.compile("sgd", "mse")  # PyTorch builds it and fails in training
        front.fit(x, x[..., :1], epochs=1, verbose=0)
    err = kernest.explain(caught.value, front if "front" in locals() else None)
    assert err is not None and err.mismatches[0].path.endswith("front/energy") and "line" in err.mismatches[0].fix
    # the statements as printed give NumPy's values
    squared = x * x
    total = ops.sum(squared, axis=-1, keepdims=True)
    got = keras.ops.convert_to_numpy(ops.log(total + np.float32(0.001)))
    assert np.allclose(got, np.log((x * x).sum(-1, keepdims=True) + 1e-3), atol=1e-5)


# --- round 4: a step op in a helper that call() calls ---------------------------------------------------------

def _quantize(h, levels):
    return ops.round(h * levels) / levels


class _Coder(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.enc = L.Dense(4, activation="sigmoid", name="enc4")
        self.dec = L.Dense(3, name="dec3")

    def _bottleneck(self, x):
        return _quantize(self.enc(x), 7.0)

    def call(self, x):
        return self.dec(self._bottleneck(x))


def _quantize_st(h, levels):
    return ((h * levels) + ops.stop_gradient(ops.round(h * levels) - (h * levels))) / levels


class _CoderFixed(_Coder):
    def _bottleneck(self, x):
        return _quantize_st(self.enc(x), 7.0)


class _RawRounder(_Coder):
    def _bottleneck(self, x):
        return self.enc(_quantize(x, 7.0))  # the step reads the raw input: every weight still gets a gradient


def test_a_step_in_a_helper_two_levels_below_call_is_named_in_the_helper_and_its_fix_trains_the_encoder():
    keras.backend.clear_session(free_memory=False)
    x = np.random.default_rng(5).random((6, 3)).astype("float32")
    coder = _Coder(name="coder")
    coder(x)
    found = [f for f in lint(coder) if "step function" in f.problem]
    assert [(f.path, f.interface) for f in found] == [("coder", "coder.call -> round")]
    line = _quantize.__code__.co_firstlineno + 1
    assert found[0].problem.startswith("_Coder._bottleneck -> _quantize (coder, called from _Coder.call) takes round "
                                       f"of enc4's output, `return ops.round(h * levels) / levels` (line {line})")
    assert "(enc4)" in found[0].problem
    assert (f"in _Coder._bottleneck -> _quantize write line {line} in a straight-through form, "
            "`return ((h * levels) + ops.stop_gradient(ops.round(h * levels) - (h * levels))) / levels`") in found[0].fix
    raw = _RawRounder(name="raw")
    raw(x)
    assert not [f for f in lint(raw) if "step function" in f.problem]
    # the statement as printed (written in _quantize_st): the same values forward, and enc4 now trains
    fixed = _CoderFixed(name="fixed")
    fixed(x)
    fixed.set_weights(coder.get_weights())
    assert np.allclose(keras.ops.convert_to_numpy(fixed(x)), keras.ops.convert_to_numpy(coder(x)), atol=1e-6)
    assert not [f for f in lint(fixed) if "step function" in f.problem]
    moved = _fit_once(fixed, x, x)
    assert all(moved[k] for k in moved if "enc4" in k) and len(moved) == 4


# --- round 4: in-place changes to a layer's own weights and tensors --------------------------------------------

class _Tally(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.body = L.Dense(2, name="body")
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen")

    def call(self, x, training=None):
        if training:
            self.seen += ops.cast(ops.shape(x)[0], "float32")
        return self.body(x)


class _TallyFixed(_Tally):
    def call(self, x, training=None):
        if training:
            self.seen.assign_add(ops.cast(ops.shape(x)[0], "float32"))
        return self.body(x)


class _TallyRebound(_Tally):
    def call(self, x, training=None):
        if training:
            self.seen = self.seen + 1.0  # a plain assignment rebinds the weight too
        return self.body(x)


class _FirstSlot(L.Layer):
    def build(self, input_shape):
        self.slots = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="slots")

    def call(self, x):
        self.slots[..., 0] = ops.mean(x)
        return x + self.slots


class _HitCount(L.Layer):
    def build(self, input_shape):
        self.hits = ops.zeros((input_shape[-1],))

    def call(self, x):
        self.hits.add_(ops.sum(ops.cast(x > 0.5, "float32"), axis=0))
        return x


def test_augmented_assignment_to_a_weight_is_flagged_and_its_assign_form_updates_the_weight():
    keras.backend.clear_session(free_memory=False)
    x = np.random.default_rng(6).random((8, 3)).astype("float32")
    tally = _Tally(name="tally")
    tally(x)
    tally(x, training=True)  # eager: the attribute is rebound to a tensor, the weight stays at 0
    line = _Tally.call.__code__.co_firstlineno + 2
    found = [f for f in lint(tally) if "self.seen" in f.interface]
    assert [(f.path, f.interface) for f in found] == [("tally", "tally.call -> self.seen")]
    assert f"`self.seen += ops.cast(ops.shape(x)[0], \"float32\")` (line {line}): Python rebinds" in found[0].problem
    assert f"self.seen.assign_add(ops.cast(ops.shape(x)[0], \"float32\")) (line {line})" in found[0].fix
    assert [float(keras.ops.convert_to_numpy(w)) for w in tally.weights if w.name == "seen"] == [0.0]
    rebound = _TallyRebound(name="rebound")
    rebound(x)
    found = [f for f in lint(rebound) if "self.seen" in f.interface]
    assert len(found) == 1 and "`self.seen = self.seen + 1.0`" in found[0].problem and "Python rebinds" in \
        found[0].problem and "self.seen.assign(self.seen + 1.0)" in found[0].fix
    fixed = _TallyFixed(name="fixed")  # the statement as printed: the weight counts the samples seen in training
    fixed(x)
    assert not [f for f in lint(fixed) if "self.seen" in f.interface]
    fixed.compile("sgd", "mse")
    fixed.fit(x, x[:, :2], batch_size=4, epochs=1, verbose=0)
    assert float(keras.ops.convert_to_numpy(fixed.seen)) == 8.0


def test_item_assignment_to_a_weight_and_a_torch_method_on_a_held_tensor_get_the_weights_assign_form():
    import kernest
    from kernest._lint_gradient import inplace_statements

    keras.backend.clear_session(free_memory=False)
    layer = _FirstSlot(name="first_slot")
    layer.build((None, 4))
    line = _FirstSlot.call.__code__.co_firstlineno + 1
    found = [(s.line, s.fixed, s.state) for s in inplace_statements(_FirstSlot, layer)]
    assert found == [(line, "self.slots.assign(ops.where(ops.arange(ops.shape(self.slots)[-1]) == 0, ops.mean(x), "
                            "self.slots))", "variable")]
    assert not inplace_statements(_FirstSlot)  # without the layer its attributes are not known to hold weights
    i = keras.Input((4,))
    with pytest.raises(Exception) as caught:  # a weight has no item assignment on any backend
        keras.Model(i, _FirstSlot(name="first_slot")(L.Dense(4, name="pre")(i)), name="slotted")
    err = kernest.explain(caught.value)
    assert err is not None and err.path.endswith("first_slot"), err
    assert "self.slots.assign(ops.where(" in err.mismatches[0].fix and "on any backend" in err.mismatches[0].fix
    fixed = ops.where(ops.arange(4) == 0, 0.5, ops.zeros((4,)))  # what the printed form writes
    assert np.allclose(keras.ops.convert_to_numpy(fixed), [0.5, 0, 0, 0])
    # a tensor held on the layer, changed with torch's in-place method: a weight made in build, then assign_add
    hits = _HitCount(name="hits")
    hits.build((None, 4))
    stmts = inplace_statements(_HitCount, hits)
    assert [(s.fixed, s.state) for s in stmts] == [
        ("self.hits.assign_add(ops.sum(ops.cast(x > 0.5, \"float32\"), axis=0))", "tensor")]
    from kernest._lint_gradient import state_change_text

    problem, fix = state_change_text(hits, stmts)
    assert "is not a weight" in problem
    assert ("in _HitCount.build, self.hits = self.add_weight(shape=(4,), initializer=\"zeros\", trainable=False, "
            "name=\"hits\")") in fix


# --- round 4: the run-out lint on a generator over an open file or an iterator it cannot copy ------------------

def test_a_generator_over_an_open_file_is_said_plainly_not_counted_and_an_endless_one_is_left_alone(tmp_path):
    from kernest._trace import not_copied

    rows = tmp_path / "rows.txt"
    rows.write_text("".join(f"{k / 10} {k / 20} {k / 30} {k / 40}\n" for k in range(20)))
    body = _REGRESSOR + (
        f"f = open({str(rows)!r})\n"
        "parsed = map(lambda line: np.array(line.split(), 'float32'), f)\n"
        "batches = ((b[None, :3], b[None, 3:]) for b in parsed)\n"
        "reg.fit(batches, steps_per_epoch=10, epochs=3, verbose=0)\n")
    code, printed = _script(tmp_path, body)
    assert "reg: data -> reg" in printed and f"which reads the open file {str(rows)!r}" in printed, printed
    assert "kernest cannot tell how many batches it gives" in printed and "yields 20" not in printed
    assert "yield at least 30 batches" in printed and "write it as a generator function" in printed
    assert ".seek(0)" not in printed  # the generator expression holds the file by no name of its own
    # a generator function given the file: its parameter is named in the rewind
    with open(rows) as f:
        def pairs(lines):
            for line in lines:
                yield line.split()

        assert not_copied(pairs(f)) == (f"the open file {str(rows)!r}", "lines")
        assert not_copied(r for r in map(np.asarray, _Chunks([1]))) == (
            "a _Chunks iterator, which moves as it is read and cannot be copied", "the iterable it reads")
    # the fix as printed (the loop inside `while True:`, the file rewound): endless by its source, no finding
    code, printed = _script(tmp_path, _REGRESSOR + (
        f"f = open({str(rows)!r})\n"
        "def batches(lines):\n    while True:\n        lines.seek(0)\n        for line in lines:\n"
        "            b = np.array(line.split(), 'float32')\n            yield b[None, :3], b[None, 3:]\n"
        "reg.fit(batches(f), steps_per_epoch=20, epochs=3, verbose=0)\n"))
    assert code == 0 and "data -> reg" not in printed, printed


# --- round 4: NumPy functions keras.ops has none of by that name ----------------------------------------------

_COMPOSED = [  # (the NumPy call on t and u, as a user writes it)
    "np.degrees(t)", "np.radians(t)", "np.rint(t * 3.0)", "np.fix(t * 3.0 - 1.5)", "np.around(t, 2)",
    "np.around(t, decimals=1)", "np.float_power(t, 2.0)", "np.remainder(t * 5.0, u)", "np.copysign(t, u - 0.5)",
    "np.ediff1d(t)", "np.array_equal(t, t)", "np.trapezoid(t)", "np.trapezoid(t, dx=0.5)",
]


@pytest.mark.parametrize("written", _COMPOSED)
def test_a_numpy_function_keras_ops_lacks_is_written_as_a_keras_ops_composition_with_numpys_values(written):
    import ast

    from kernest._callsite import keras_op

    rng = np.random.default_rng(7)
    t, u = rng.random((3, 4)).astype("float32"), rng.random((3, 4)).astype("float32") + 0.5
    node = ast.parse(written, mode="eval").body
    composed = keras_op(node, written.split("(")[0].split(".")[-1], "ops.", numpy=True)
    assert composed is not None and "np." not in composed
    got = keras.ops.convert_to_numpy(eval(composed, {"ops": ops, "t": t, "u": u}))  # noqa: S307 - our own table
    want = eval(written, {"np": np, "t": t, "u": u})  # noqa: S307
    assert np.allclose(got, want, atol=1e-5), (written, composed)


def _calibrate(s):
    return np.interp(s, [0.0, 1.0], [0.0, 2.0])


def test_numpy_calls_with_no_keras_ops_counterpart_are_said_so_and_never_given_a_wrong_name():
    import ast

    import kernest
    from kernest._callsite import keras_op
    from kernest._lint_gradient import lambda_in_keras_ops

    keras.backend.clear_session(free_memory=False)
    for written in ("np.std(t, ddof=1)", "np.fft.fft(t)", "np.sum(t, dtype='float64')", "np.interp(t, a, b)"):
        node = ast.parse(written, mode="eval").body
        assert keras_op(node, node.func.attr, "ops.", numpy=True) is None, written  # ops.std takes no ddof...
    assert keras_op(ast.parse("np.std(t, axis=0)", mode="eval").body, "std", "ops.", numpy=True) == \
        "ops.std(t, axis=0)"
    written, fix = lambda_in_keras_ops(_calibrate, "calibrate")
    assert written == ["np.interp(s, [0.0, 1.0], [0.0, 2.0])"]
    assert fix.startswith("keras.ops has no function that takes np.interp(s, [0.0, 1.0], [0.0, 2.0]) as written")
    assert "custom keras.layers.Layer" in fix and "keras.ops.interp" not in fix
    # in a second nested model: the composition is printed in the user's def, and it builds and trains as printed
    i = keras.Input((4,), name="angles")
    with pytest.raises(Exception) as caught:
        inner = keras.Model(i, L.Lambda(_to_turns, name="turns")(L.Dense(4, name="rad")(i)), name="wrap")
        inner.compile("sgd", "mse")
        inner.fit(np.ones((4, 4)), np.ones((4, 4)), epochs=1, verbose=0)  # PyTorch builds it and fails here
    err = kernest.explain(caught.value, inner if "inner" in locals() else None)
    # (PyTorch, failing in fit, names the fitted model "wrap" only; TensorFlow and JAX "wrap/turns")
    assert err is not None and err.mismatches[0].path.startswith("wrap") and err.interface == "rad -> turns"
    assert "`return ops.mod(ops.rad2deg(a), 360.0)`" in err.mismatches[0].fix
    fixed = keras.Model(i, L.Lambda(lambda a: ops.mod(ops.rad2deg(a), 360.0))(L.Dense(4)(i)))
    fixed.compile("sgd", "mse")
    fixed.fit(np.ones((4, 4)), np.ones((4, 4)), epochs=1, verbose=0)


def _to_turns(a):
    return np.remainder(np.degrees(a), 360.0)
