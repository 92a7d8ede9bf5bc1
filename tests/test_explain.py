from __future__ import annotations

import keras
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def raised(fn):
    try:
        fn()
    except Exception as exc:  # the raw Keras error is the input under test
        return exc
    raise AssertionError("expected Keras to raise")


def test_ndim_mismatch_gets_path_and_fix():
    def build():
        cnn = keras.Sequential([keras.Input((100, 50)), L.Conv1D(32, 3), L.MaxPooling1D(2), L.Flatten(name="flatten")], name="char_cnn")
        keras.Sequential([keras.Input((cnn.output_shape[1],)), L.LSTM(64, name="lstm")], name="word_lstm")

    err = kernest.explain(raised(build))
    assert isinstance(err, kernest.InterfaceError)
    assert err.path == "word_lstm/lstm"
    assert err.interface == "char_cnn -> word_lstm"
    assert err.received == "(batch, 1568)"
    assert "char_cnn/flatten (Flatten) removed the axes of (batch, 49, 32)" in err.fix
    assert "Reshape((49, 32))" in err.fix and "drop char_cnn/flatten" in err.fix


def test_path_is_found_at_depth_in_a_target():
    model = models.word_model()
    exc = ValueError("Input 0 with name 'None' of layer 'conv' is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (None, 8)")
    err = kernest.explain(exc, target=model)
    assert err.path == "per_word/char_cnn/conv"


def test_not_connected_names_the_fresh_inputs():
    def build():
        main = keras.Input((10,), name="main_in")
        wide = L.Dense(32, name="wide")(keras.Input((10,), name="fresh"))
        keras.Model(main, [wide, L.Dense(16, name="narrow")(main)], name="inner")

    err = kernest.explain(raised(build))
    assert err.path == "inner"
    assert "output 0 (wide) comes from Input 'fresh'" in err.received
    assert "`main` in place of Input 'fresh'" in err.fix
    assert "declared input" in err.fix


def test_inner_layer_output_of_a_nested_model_points_to_extract():
    model = models.word_model()
    inner_conv = model.get_layer("per_word").layer.get_layer("conv")
    err = kernest.explain(raised(lambda: keras.Model(model.inputs, inner_conv.output)))
    assert err is not None and "kernest.extract" in err.fix


def test_axis_value_mismatch():
    dense = L.Dense(4, name="proj")
    dense.build((None, 2048))
    err = kernest.explain(raised(lambda: dense(keras.Input((512,)))), target=None)
    assert err is not None and err.expected == "(batch, ..., 2048)" and err.received == "(batch, 512)"


def test_wrong_number_of_inputs():
    a, b = keras.Input((3,)), keras.Input((3,))
    two = keras.Model([a, b], L.Add()([a, b]), name="two")
    err = kernest.explain(raised(lambda: two(keras.Input((3,)))))
    assert err is not None and "kernest.connect" in err.fix


@pytest.mark.parametrize(
    "message, needle",
    [
        ("Argument `trainable_variables` must be a list. len(trainable_variables) == 6 whereas the optimizer was built with 2", "recompile=True"),
        ("indices[0,2] = 151 is not in [0, 50)", "input_dim"),
        ("Cast float to string is not supported", "dtype"),
        ("Kernel shape must have the same length as input, but received kernel of shape (3, 3, 28, 8) and input of shape (None, 28, 28)", "channel"),
        ("Cannot convert '((None, 8, 8, 3), 1)' to a shape", "one-element list"),
        ("'Dense' object has no attribute 'output_shape'", "compute_output_shape"),
    ],
)
def test_known_message_families(message, needle):
    err = kernest.explain(ValueError(message))
    assert err is not None and needle in err.fix


def test_unknown_errors_return_none():
    assert kernest.explain(ValueError("something unrelated")) is None
