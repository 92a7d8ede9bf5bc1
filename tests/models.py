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


# --- builders added for inspect & change (issue 3) ---------------------------------------------------

@keras.saving.register_keras_serializable(package="kernest_tests")
class ResidualBlock(L.Layer):
    """A custom subclassed layer holding sublayers: x + proj(relu(dense(x)))."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = L.Dense(units, activation="relu", name="inner_dense")
        self.proj = L.Dense(units, name="proj")

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.proj.build((*input_shape[:-1], self.units))
        self.built = True

    def call(self, x):
        return x + self.proj(self.inner(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def with_custom_block() -> keras.Model:
    """A functional model with a custom composite layer: dense -> block -> head."""
    x = keras.Input((4,), name="x")
    h = L.Dense(4, name="pre")(x)
    h = ResidualBlock(4, name="block")(h)
    return keras.Model(x, L.Dense(1, name="head")(h), name="custom")


def with_batchnorm() -> keras.Model:
    """BatchNormalization nested one level down: outer(inner(pre -> bn -> dense)) -> head."""
    a = keras.Input((4,), name="a")
    h = L.Dense(4, name="pre")(a)
    h = L.BatchNormalization(name="bn")(h)
    inner = keras.Model(a, L.Dense(2, name="dense")(h), name="inner")
    b = keras.Input((4,), name="b")
    return keras.Model(b, L.Dense(1, name="head")(inner(b)), name="bn_outer")


def shared_across() -> keras.Model:
    """One Dense layer used both inside a submodel and in the outer model (Keras cannot load this)."""
    shared = L.Dense(4, name="shared_dense")
    a = keras.Input((4,), name="a")
    sub = keras.Model(a, L.Dense(4, name="x")(shared(a)), name="sub")
    b = keras.Input((4,), name="b")
    return keras.Model(b, shared(sub(b)), name="outer")


def time_distributed() -> keras.Model:
    """TimeDistributed over a small functional model: (steps, 5) -> (steps, 3) -> GRU -> head."""
    a = keras.Input((5,), name="step")
    step = keras.Model(a, L.Dense(3, name="dense")(a), name="step_model")
    x = keras.Input((7, 5), name="seq")
    h = L.TimeDistributed(step, name="per_step")(x)
    h = L.GRU(2, name="gru")(h)
    return keras.Model(x, L.Dense(1, name="head")(h), name="td_model")


def over_over(sents: int = 3, words: int = 4, chars: int = 5) -> keras.Model:
    """Two levels of over: sentences -> words -> chars, with char_cnn innermost (depth 4 paths)."""
    w = kernest.Input((words, chars), axes=("words", "chars"), dtype="int32", name="word_chars")
    per_word = kernest.over("words", char_cnn(chars, filters=4), name="per_word")(w)
    sentence = keras.Model(w, L.GlobalAveragePooling1D(name="avg")(per_word), name="sentence")
    x = kernest.Input((sents, words, chars), axes=("sents", "words", "chars"), dtype="int32", name="doc")
    h = kernest.over("sents", sentence, name="per_sent")(x)
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="avg")(h)), name="doc_model")
