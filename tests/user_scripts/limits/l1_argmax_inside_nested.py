"""Limit 1 (not fixed): a nested tagger picks a class with argmax, then a trainable head reads the ids."""
import numpy as np
import keras
from keras import layers, ops

t_in = keras.Input((6,))
scores = layers.Dense(4, name="tag_scores")(t_in)
tagger = keras.Model(t_in, layers.Lambda(lambda s: ops.cast(ops.argmax(s, -1)[:, None], "float32"),
                                         name="pick")(scores), name="tagger")
i = keras.Input((6,), name="feats")
model = keras.Model(i, layers.Dense(1, name="score")(layers.Concatenate()([tagger(i), i])), name="ranker")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 6), np.random.rand(8, 1), epochs=1, verbose=0)
