"""Limit 2 (round 6): a nested causal tokens encoder (next-character model) normalises with
LayerNormalization(axis=1), across the tokens axis of its (batch, tokens, features) tensor: every position is
scaled by statistics of all positions, later ones included."""
import numpy as np
import keras
from keras import layers

vocab, length = 40, 24
chars = keras.Input((length,), dtype="int32", name="chars")
h = layers.Embedding(vocab, 32, name="char_embed")(chars)
h = layers.Conv1D(32, 3, padding="causal", activation="relu", name="causal_conv")(h)
h = layers.LayerNormalization(axis=1, name="norm")(h)
encoder = keras.Model(chars, h, name="char_encoder")

text = keras.Input((length,), dtype="int32", name="text")
next_char = keras.Model(text, layers.Dense(vocab, activation="softmax", name="next")(encoder(text)), name="next_char")
next_char.compile("adam", "sparse_categorical_crossentropy")
ids = np.random.randint(1, vocab, (64, length + 1))
next_char.fit(ids[:, :-1], ids[:, 1:], batch_size=16, epochs=1, verbose=0)
