from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def test_over_maps_the_named_axis_and_keeps_it():
    x = kernest.Input((models.WORDS, models.CHARS), axes=("words", "chars"), dtype="int32")
    y = kernest.over("words", models.char_cnn(), name="per_word")(x)
    assert tuple(y.shape) == (None, models.WORDS, 8)
    assert kernest.axes_of(y)[0] == "words"


def test_over_matches_a_per_word_loop():
    cnn = models.char_cnn()
    x = kernest.Input((models.WORDS, models.CHARS), axes=("words", "chars"), dtype="int32")
    model = keras.Model(x, kernest.over("words", cnn)(x))
    data = models.char_ids(batch=3)
    got = keras.ops.convert_to_numpy(model(data))
    want = np.stack([keras.ops.convert_to_numpy(cnn(data[:, w])) for w in range(models.WORDS)], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_appending_padded_words_changes_nothing():
    """over masks all-zero words, so the outer LSTM skips them (TimeDistributed drops the mask)."""
    model = models.word_model(words=None)
    data = models.char_ids(batch=2, words=4)
    padded = np.concatenate([data, np.zeros((2, 3, models.CHARS), "int32")], axis=1)
    short = keras.ops.convert_to_numpy(model(data))
    long = keras.ops.convert_to_numpy(model(padded))
    np.testing.assert_allclose(short, long, rtol=1e-5, atol=1e-6)


def test_timedistributed_really_drops_the_mask():
    """The control for the test above: the same model with TimeDistributed sees the padding."""
    x = keras.Input((None, models.CHARS), dtype="int32")
    h = L.TimeDistributed(models.char_cnn())(x)
    model = keras.Model(x, L.LSTM(5)(h))
    data = models.char_ids(batch=2, words=4)
    padded = np.concatenate([data, np.zeros((2, 3, models.CHARS), "int32")], axis=1)
    diff = np.abs(keras.ops.convert_to_numpy(model(data)) - keras.ops.convert_to_numpy(model(padded))).max()
    assert diff > 1e-4


def test_over_nests_over_sentences_and_words():
    x = kernest.Input((3, models.WORDS, models.CHARS), axes=("sentences", "words", "chars"), dtype="int32")
    y = kernest.over("sentences", kernest.over("words", models.char_cnn()))(x)
    assert tuple(y.shape) == (None, 3, models.WORDS, 8)
    assert kernest.axes_of(y)[:2] == ("sentences", "words")
    out = keras.Model(x, y)(np.stack([models.char_ids(2)] * 3, axis=1))
    assert tuple(out.shape) == (2, 3, models.WORDS, 8)


def test_over_with_two_inputs_and_two_outputs():
    a, b = keras.Input((4,)), keras.Input((4,))
    inner = keras.Model([a, b], [L.Dense(2, name="sum")(L.Add()([a, b])), L.Dense(3, name="diff")(L.Subtract()([a, b]))])
    x = kernest.Input((5, 4), axes=("items", "features"))
    y = kernest.over("items", inner)([x, x])
    assert [tuple(t.shape) for t in y] == [(None, 5, 2), (None, 5, 3)]


def test_over_trains_one_step_and_round_trips_through_save(tmp_path):
    model = models.word_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    data, labels = models.char_ids(batch=8), np.arange(8) % 3
    before = [w.copy() for w in model.get_weights()]
    model.fit(data, labels, epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(data)), keras.ops.convert_to_numpy(loaded(data)), rtol=1e-6, atol=1e-6
    )


def test_over_an_axis_that_is_not_there():
    x = kernest.Input((6, 8), axes=("words", "chars"), dtype="int32")
    with pytest.raises(kernest.KernestError, match=r"no axis named 'sentences'.*its named axes: 'words', 'chars'"):
        kernest.over("sentences", models.char_cnn())(x)


def test_over_needs_names_or_a_position():
    x = keras.Input((6, 8), dtype="int32")
    with pytest.raises(kernest.KernestError, match="kernest.Input"):
        kernest.over("words", models.char_cnn())(x)
    assert tuple(kernest.over(1, models.char_cnn())(x).shape) == (None, 6, 8)


@pytest.mark.parametrize("inner, axis, message", [("not a model", "words", "needs a Keras model"), (None, 0, "batch axis")])
def test_over_bad_arguments(inner, axis, message):
    with pytest.raises(kernest.KernestError, match=message):
        kernest.over(axis, inner if inner is not None else models.char_cnn())
