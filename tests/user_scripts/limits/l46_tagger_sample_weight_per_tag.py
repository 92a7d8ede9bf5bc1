"""A part-of-speech tagger (a nested token encoder, one softmax over 6 tags per step) trained with a per-step
mask that the user expanded to one weight per tag, (batch, steps, tags): Keras weighs each step's loss, so
sample_weight must be (batch, steps)."""
import numpy as np
import keras
from keras import layers

STEPS, VOCAB, TAGS = 12, 300, 6

tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
h = layers.Embedding(VOCAB, 16, name="embed")(tokens)
h = layers.Bidirectional(layers.LSTM(8, return_sequences=True), name="context")(h)
encoder = keras.Model(tokens, h, name="encoder")

words = keras.Input((STEPS,), dtype="int32", name="words")
tagger = keras.Model(words, layers.Dense(TAGS, activation="softmax", name="tag")(encoder(words)), name="tagger")
tagger.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

rng = np.random.default_rng(0)
lengths = rng.integers(4, STEPS + 1, size=64)
ids = np.zeros((64, STEPS), "int32")
tags = np.zeros((64, STEPS), "int32")
for row, n in enumerate(lengths):
    ids[row, :n] = rng.integers(1, VOCAB, size=n)
    tags[row, :n] = rng.integers(0, TAGS, size=n)
real_steps = (ids > 0).astype("float32")                                  # (64, 12)
per_tag = np.repeat(real_steps[:, :, None], TAGS, axis=-1)                # (64, 12, 6)
tagger.fit(ids, tags, sample_weight=per_tag, epochs=1, batch_size=16, verbose=0)
