"""Lint rules for users' own layers and subclassed models inside nested models (``kernest/_lint.py``): each
rule flags a small model of its own (other names and sizes than tests/sweep/s85-s91) with the path and a
fix, after a real training step, and leaves the corrected model alone."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers as L
from keras import ops

from kernest._lint import lint

pytestmark = pytest.mark.core


def _trained(model, x, y, loss):
    model.compile("sgd", loss)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return model


def _only(findings, word):
    hits = [f for f in findings if word in f.problem]
    assert len(hits) == 1, [str(f) for f in findings]
    return hits[0]


class Head(keras.Model):
    def __init__(self, n, act, **kw):
        super().__init__(**kw)
        self.mid = L.Dense(6, activation="tanh", name="mid")
        self.last = L.Dense(n, activation=act, name="last")

    def call(self, x):
        return self.last(self.mid(x))


@pytest.mark.parametrize("act", ["softmax", None])
def test_softmax_inside_a_subclassed_head_with_from_logits(act):
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((5,))
    m = keras.Model(i, Head(3, act, name="head3")(L.Dense(5, name="pre")(i)))
    _trained(m, np.random.rand(8, 5), np.random.randint(0, 3, 8),
             keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    found = [f for f in lint(m) if "from_logits" in f.fix]
    if act is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].path == "head3/last" and found[0].interface == "head3 -> loss"


@pytest.mark.parametrize("act, loss, flagged", [("sigmoid", "categorical_crossentropy", True),
                                                ("softmax", "categorical_crossentropy", False),
                                                ("sigmoid", "binary_crossentropy", False)])
def test_sigmoid_units_with_a_categorical_loss(act, loss, flagged):
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((4,))
    inner = keras.Model(i, L.Dense(3, activation=act, name="three")(i), name="inner")
    x = keras.Input((4,))
    m = keras.Model(x, inner(x))
    _trained(m, np.random.rand(8, 4), keras.utils.to_categorical(np.random.randint(0, 3, 8), 3), loss)
    found = [f for f in lint(m) if "sigmoid over" in f.problem]
    assert bool(found) == flagged
    if flagged:
        assert found[0].path == "inner/three" and 'Dense(3, activation="softmax")' in found[0].fix


class MaxSteps(L.Layer):
    def call(self, x):
        return ops.max(x, axis=-2)


class Doubled(L.Layer):
    def call(self, x):  # keeps the steps: a later layer may still read the mask
        return x * 2.0


@pytest.mark.parametrize("pool, flagged", [(MaxSteps, True), (L.GlobalAveragePooling1D, False), (Doubled, False)])
def test_mask_ignored_by_a_users_pooling_layer(pool, flagged):
    keras.backend.clear_session(free_memory=False)
    ids = keras.Input((12,), dtype="int32")
    enc = keras.Model(ids, L.LayerNormalization(name="ln")(L.Embedding(30, 4, mask_zero=True, name="emb")(ids)),
                      name="enc")
    t = keras.Input((12,), dtype="int32")
    m = keras.Model(t, L.Dense(1, name="o")(L.Flatten()(pool(name="pool")(enc(t)))))
    _trained(m, np.random.randint(0, 30, (8, 12)), np.random.rand(8, 1), "mse")
    found = [f for f in lint(m) if "takes no mask" in f.problem]
    assert bool(found) == flagged
    if flagged:
        assert found[0].path == "pool" and found[0].interface == "enc -> pool" and "enc/emb" in found[0].problem


def test_dropout_twice_across_a_nested_model_and_once_is_clean():
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((6,))
    body = keras.Model(i, L.Dropout(0.2, name="d_in")(L.Dense(6, name="h")(i)), name="body")
    x = keras.Input((6,))
    twice = keras.Model(x, L.Dense(1)(L.Dropout(0.3, name="d_out")(body(x))))
    _trained(twice, np.random.rand(8, 6), np.random.rand(8, 1), "mse")
    f = _only(lint(twice), "features are zeroed")
    assert f.path == "d_out" and f.interface == "body -> d_out" and "Dropout(0.44)" in f.fix
    once = keras.Model(x, L.Dense(1)(L.Dense(3)(body(x))))
    assert not [g for g in lint(once) if "features are zeroed" in g.problem]


class Jitter(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.seed = keras.random.SeedGenerator(3)

    def call(self, x):
        return keras.random.dropout(x, 0.25, seed=self.seed)


class JitterInTraining(Jitter):
    def call(self, x, training=None):
        return keras.random.dropout(x, 0.25, seed=self.seed) if training else x


class Sample(Jitter):  # a VAE-style sampling layer: random at predict time by design, so never flagged
    def call(self, x):
        return x + keras.random.normal(ops.shape(x), stddev=0.05, seed=self.seed)


@pytest.mark.parametrize("cls, flagged", [(Jitter, True), (JitterInTraining, False), (Sample, False)])
def test_randomness_that_ignores_training(cls, flagged):
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((3, 2))
    aug = keras.Model(i, cls(name="jit")(i), name="aug")
    x = keras.Input((3, 2))
    m = keras.Model(x, L.Dense(1)(L.Flatten()(aug(x))))
    _trained(m, np.random.rand(8, 3, 2), np.random.rand(8, 1), "mse")
    found = [f for f in lint(m) if "never reads training" in f.problem]
    assert bool(found) == flagged
    if flagged:
        assert found[0].path == "aug/jit" and "if training:" in found[0].fix


class Standardize(L.Layer):
    def __init__(self, axis, **kw):
        super().__init__(**kw)
        self.axis = axis

    def call(self, x):
        if self.axis == 0:
            return (x - ops.mean(x, axis=(0, 1), keepdims=True)) / 2.0
        return x - ops.mean(x, axis=-1, keepdims=True)


class RowCenter(L.Layer):
    def call(self, x):
        return x - ops.mean(x, axis=-1, keepdims=True)


class WeightRows(L.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(3, input_shape[-1]))

    def call(self, x):
        return x + ops.sum(self.w, axis=0)  # axis 0 of a weight, not of the batch


def test_reduction_over_the_batch_axis_and_within_a_sample():
    keras.backend.clear_session(free_memory=False)
    i = keras.Input((4, 5))
    pre = keras.Model(i, Standardize(0, name="std")(i), name="pre")
    x = keras.Input((4, 5))
    m = keras.Model(x, L.Dense(1)(L.Flatten()(pre(x))))
    _trained(m, np.random.rand(8, 4, 5), np.random.rand(8, 1), "mse")
    f = _only(lint(m), "axis=0 is the batch")
    assert f.path == "pre/std" and f.interface.endswith("-> pre") and "Normalization()" in f.fix
    for ok in (RowCenter(name="rc"), WeightRows(name="wr")):
        clean = keras.Model(x, L.Dense(1)(L.Flatten()(ok(x))))
        assert not [g for g in lint(clean) if "axis=0" in g.problem]


def test_batchnorm_on_the_last_axis_of_channels_first_maps_says_axis_1_and_axis_1_is_clean():
    def stem(axis: int) -> keras.Model:
        i = keras.Input((4, 10, 12))
        h = L.Conv2D(6, 3, padding="same", data_format="channels_first", name="conv")(i)
        return keras.Model(i, L.BatchNormalization(axis=axis, name="bn")(h), name="stem")

    x = keras.Input((4, 10, 12))
    wrong = keras.Model(x, L.GlobalAveragePooling2D(data_format="channels_first")(stem(-1)(x)))
    f = _only(lint(wrong), "channels-first")
    assert f.path == "stem/bn" and "6 channels on axis 1" in f.problem and "of size 12" in f.problem
    assert "BatchNormalization(axis=1)" in f.fix
    right = keras.Model(x, L.GlobalAveragePooling2D(data_format="channels_first")(stem(1)(x)))
    assert not [g for g in lint(right) if "channels-first" in g.problem]
    i = keras.Input((10, 12, 4))  # channels-last maps keep the default axis
    last = keras.Model(i, L.BatchNormalization()(L.Conv2D(6, 3)(i)))
    assert not [g for g in lint(last) if "channels-first" in g.problem]


@pytest.mark.parametrize(("given", "loss_name", "layer_name"), [
    ("binary_crossentropy", "binary_crossentropy", "binary_crossentropy"),
    (keras.losses.BinaryCrossentropy(), "binary_crossentropy", None),
    (keras.losses.categorical_crossentropy, "categorical_crossentropy", None),
    ("MaxPooling1D", "MaxPooling1D", "max_pooling1_d"),  # a loss given as a string is kept as written
    ("LayerNormalization", "LayerNormalization", "layer_normalization"),
])
def test_a_loss_and_a_layer_class_are_named_in_snake_case(given, loss_name, layer_name):
    from kernest._callsite import snake_case
    from kernest._lint import _loss_name

    assert _loss_name(given) == loss_name
    if layer_name is not None:
        assert snake_case(given) == layer_name
