from __future__ import annotations

import keras
import pytest

import kernest
from kernest._axes import format_shape

pytestmark = pytest.mark.core
L = keras.layers


def test_input_is_a_real_keras_input_with_names():
    x = kernest.Input((20, 16), axes=("words", "chars"), dtype="int32", name="chars")
    assert isinstance(x, keras.KerasTensor)
    assert tuple(x.shape) == (None, 20, 16)
    assert kernest.axes_of(x) == ("words", "chars")


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda x: L.Embedding(30, 4)(x), ("words", "chars", "embed")),
        (lambda x: L.Dense(5)(L.Embedding(30, 4)(x)), ("words", "chars", "features")),
        (lambda x: L.Flatten()(x), ("words*chars",)),
        (lambda x: L.Reshape((20, 4, 4))(x), ("words", None, None)),
        (lambda x: L.LSTM(3, return_sequences=True)(L.Embedding(30, 4)(L.Flatten()(x))), ("words*chars", "units")),
        (lambda x: L.Concatenate()([L.Dense(2)(x), L.Dense(3)(x)]), ("words", "features")),
        (lambda x: L.TimeDistributed(L.Dense(7))(x), ("words", "features")),
    ],
)
def test_names_travel_through_known_layers(make, expected):
    x = kernest.Input((20, 16), axes=("words", "chars"), dtype="int32")
    assert kernest.axes_of(make(x)) == expected


def test_conv_and_pooling_keep_the_steps_axis():
    x = kernest.Input((16, 8), axes=("chars", "embed"))
    y = L.MaxPooling1D(2)(L.Conv1D(4, 3)(x))
    assert kernest.axes_of(y) == ("chars", "filters")
    assert kernest.axes_of(L.GlobalMaxPooling1D()(y)) == ("filters",)


def test_unknown_layers_fall_back_to_positions():
    x = kernest.Input((4, 6), axes=("rows", "cols"))
    y = L.Permute((2, 1))(x)
    assert kernest.axes_of(y) == (None, None)
    assert format_shape(tuple(y.shape), kernest.axes_of(y)) == "(batch, 6, 4)"


@pytest.mark.parametrize(
    "shape, axes, message",
    [
        ((20, 16), ("words",), "one name per non-batch axis"),
        ((20, 16), ("words", "words"), "more than once"),
        ((20,), ("batch",), "identifiers other than 'batch'"),
        ((20,), ("two words",), "identifiers"),
    ],
)
def test_bad_axis_names_are_explained(shape, axes, message):
    with pytest.raises(kernest.KernestError, match=message):
        kernest.Input(shape, axes=axes)


# Global pooling keeps the channels axis, wherever data_format puts it; a convolution renames it.
DATA_FORMAT_CASES = [
    ("GlobalMaxPooling1D", {}, ("time", "mel"), ("mel",)),
    ("GlobalMaxPooling1D", {"data_format": "channels_first"}, ("mel", "time"), ("mel",)),
    ("GlobalAveragePooling1D", {"data_format": "channels_first", "keepdims": True}, ("mel", "time"), ("mel", None)),
    ("GlobalAveragePooling2D", {}, ("rows", "cols", "rgb"), ("rgb",)),
    ("GlobalAveragePooling2D", {"data_format": "channels_first"}, ("rgb", "rows", "cols"), ("rgb",)),
    ("GlobalMaxPooling2D", {"keepdims": True}, ("rows", "cols", "rgb"), (None, None, "rgb")),
    ("GlobalMaxPooling3D", {"data_format": "channels_first"}, ("rgb", "t", "rows", "cols"), ("rgb",)),
    ("MaxPooling2D", {"data_format": "channels_first"}, ("rgb", "rows", "cols"), ("rgb", "rows", "cols")),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "data_format": "channels_first"}, ("rgb", "rows", "cols"),
     ("filters", "rows", "cols")),
    ("Conv2D", {"filters": 4, "kernel_size": 3}, ("rows", "cols", "rgb"), ("rows", "cols", "filters")),
]


@pytest.mark.parametrize("layer, kwargs, axes, expected", DATA_FORMAT_CASES)
def test_pooling_and_conv_rules_follow_data_format(layer, kwargs, axes, expected):
    sizes = {"time": 12, "mel": 5, "rows": 8, "cols": 9, "rgb": 3, "t": 4}
    x = kernest.Input(tuple(sizes[a] for a in axes), axes=axes)
    assert kernest.axes_of(getattr(L, layer)(**kwargs)(x)) == expected


def test_fits_ignores_the_batch_axis_and_unknown_sizes():
    from kernest._axes import fits

    assert fits((None, 20, None), (7, 20, 16))
    assert not fits((None, 20, 16), (None, 20, 8))
    assert not fits((None, 16), (None, 1, 16))


@pytest.mark.parametrize(
    "other_shape, other_axes, expected",
    [
        ((5, 4), ("steps", "feats"), ("steps", "feats")),  # both name the axes alike
        ((5, 4), None, ("steps", "feats")),  # an unnamed input does not contradict a named one
        ((1, 4), None, ("steps", "feats")),  # broadcast along steps
        ((5, 4), ("time", "feats"), (None, "feats")),  # two names for one axis: neither is certain
        ((4,), ("chans",), ("steps", None)),  # a lower-rank input lines up from the last axis
    ],
)
def test_an_elementwise_merge_keeps_the_names_its_inputs_agree_on(other_shape, other_axes, expected):
    x = kernest.Input((5, 4), axes=("steps", "feats"))
    other = kernest.Input(other_shape, axes=other_axes) if other_axes else keras.Input(other_shape)
    for merge in (L.Add(), L.Multiply(), L.Maximum()):
        assert kernest.axes_of(merge([x, other])) == expected
        assert kernest.axes_of(merge([other, x])) == expected


def test_a_nested_model_gives_the_names_its_own_input_declares_where_the_caller_has_none():
    i = kernest.Input((5, 4), axes=("steps", "feats"))
    inner = keras.Model(i, L.Add()([L.Dense(4)(i), i]), name="inner")  # (steps, None): features vs feats
    assert kernest.axes_of(inner(keras.Input((5, 4)))) == ("steps", None)
    assert kernest.axes_of(inner(kernest.Input((5, 4), axes=("time", "chans")))) == ("time", None)
    x = keras.Input((5, 4), name="x")
    model = keras.Model(x, L.Dense(2, name="head")(inner(x)))
    rows = {r.path: r for r in kernest.summary(model, depth=2).rows}
    assert rows["inner/dense"].input_shape == "(batch, steps=5, feats=4)"
    assert rows["head"].input_shape == "(batch, steps=5, 4)" and rows["head"].output_shape == "(batch, steps=5, features=2)"
