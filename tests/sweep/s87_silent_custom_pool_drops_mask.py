"""Silent: the nested embedder makes a padding mask; the outer model's custom mean over time ignores it."""
import keras
import numpy as np
from keras import layers, ops


class MeanOverTime(layers.Layer):
    def call(self, x):
        return ops.mean(x, axis=1)


ids = keras.Input(shape=(20,), dtype="int32")
embedder = keras.Model(ids, layers.Embedding(500, 6, mask_zero=True, name="word_emb")(ids), name="embedder")
tokens = keras.Input(shape=(20,), dtype="int32", name="tokens")
pooled = MeanOverTime(name="mean_time")(embedder(tokens))
model = keras.Model(tokens, layers.Dense(1, activation="sigmoid", name="p")(pooled), name="model")
model.compile("adam", "binary_crossentropy")
model.fit(np.random.randint(0, 500, (8, 20)), np.random.randint(0, 2, 8), epochs=1, verbose=0)
