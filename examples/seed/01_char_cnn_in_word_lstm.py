"""Seed example 1, done right: a char-CNN applied to every word, read by a word-level LSTM.

The inner model sees one word, (batch, chars); kernest.over("words", ...) folds the words axis into
the batch, runs it once and unfolds, so the LSTM reads (batch, words, features) and skips padded words.
"""

from __future__ import annotations

import keras

import kernest

L = keras.layers
WORDS, CHARS, ALPHABET = 20, 16, 60


def build() -> keras.Model:
    char_ids = keras.Input((CHARS,), dtype="int32", name="char_ids")
    x = L.Embedding(ALPHABET, 16, name="embed")(char_ids)
    x = L.Conv1D(32, 3, padding="same", activation="relu", name="conv")(x)
    x = L.GlobalMaxPooling1D(name="pool")(x)  # (batch, 32): one vector per word
    char_cnn = keras.Model(char_ids, x, name="char_cnn")

    word_lstm = keras.Sequential([L.LSTM(64, name="lstm"), L.Dense(1, activation="sigmoid", name="out")], name="word_lstm")
    chars = kernest.Input((WORDS, CHARS), axes=("words", "chars"), dtype="int32", name="chars")
    return kernest.nest(kernest.over("words", char_cnn, name="per_word"), word_lstm, input=chars, name="char_cnn_in_word_lstm")


if __name__ == "__main__":
    model = build()
    print(kernest.check(model))
    model.summary()
