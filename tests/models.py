"""Small real Keras models used across the tests, built in one place.

Every builder returns fresh layers, so tests never share weights by accident.
"""

from __future__ import annotations

import keras
import numpy as np

import kernest

L = keras.layers
WORDS, CHARS, ALPHABET = 6, 8, 30


def char_cnn(chars: int = CHARS, filters: int = 8, name: str = "char_cnn") -> keras.Model:
    """(chars,) int ids -> (filters,) features: embedding, conv, max-pool over characters."""
    ids = keras.Input((chars,), dtype="int32", name="char_ids")
    x = L.Embedding(ALPHABET, 6, name="embed")(ids)
    x = L.Conv1D(filters, 3, padding="same", activation="relu", name="conv")(x)
    x = L.GlobalMaxPooling1D(name="pool")(x)
    return keras.Model(ids, x, name=name)


def word_model(words: int | None = WORDS, chars: int = CHARS, units: int = 5, classes: int = 3) -> keras.Model:
    """The flagship shape in miniature: over("words", char_cnn) -> BiLSTM -> softmax."""
    x = kernest.Input((words, chars), axes=("words", "chars"), dtype="int32", name="chars")
    h = kernest.over("words", char_cnn(chars), name="per_word")(x)
    h = L.Bidirectional(L.LSTM(units), name="word_lstm")(h)
    y = L.Dense(classes, activation="softmax", name="head")(h)
    return keras.Model(x, y, name="sentiment")


def mlp(sizes: tuple[int, ...], name: str, input_dim: int | None = None) -> keras.Model:
    layers: list = [keras.Input((input_dim,))] if input_dim else []
    layers += [L.Dense(s, activation="relu", name=f"dense_{i}") for i, s in enumerate(sizes)]
    return keras.Sequential(layers, name=name)


def depth3() -> keras.Model:
    """outer -> middle -> inner: three levels of functional nesting, each with a named Dense."""
    a = keras.Input((4,), name="a")
    inner = keras.Model(a, L.Dense(3, name="dense")(a), name="inner")
    b = keras.Input((4,), name="b")
    middle = keras.Model(b, L.Dense(2, name="dense")(inner(b)), name="middle")
    c = keras.Input((4,), name="c")
    return keras.Model(c, L.Dense(1, name="head")(middle(c)), name="outer")


def shared_twice() -> keras.Model:
    """One inner model called on two inputs."""
    enc = mlp((4,), "encoder", input_dim=3)
    a, b = keras.Input((3,), name="left"), keras.Input((3,), name="right")
    merged = L.Concatenate(name="concat")([enc(a), enc(b)])
    return keras.Model([a, b], L.Dense(1, name="head")(merged), name="siamese")


def char_ids(batch: int = 4, words: int = WORDS, chars: int = CHARS, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(1, ALPHABET, size=(batch, words, chars)).astype("int32")
