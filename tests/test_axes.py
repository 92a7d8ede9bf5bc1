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
