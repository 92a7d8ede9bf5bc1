"""A custom layer reads the batch size from the static shape (x.shape[0]), unknown (None) at build time."""
import numpy as np
import keras
from keras import layers, ops


class FlattenTokens(layers.Layer):
    def call(self, x):
        return ops.reshape(x, (x.shape[0], -1))


pooler = keras.Sequential([keras.Input(shape=(5, 8)), layers.Dense(4, name="proj"), FlattenTokens(name="flat_tokens")], name="pooler")
tokens = keras.Input(shape=(5, 8), name="tokens")
model = keras.Model(tokens, layers.Dense(1, name="score")(pooler(tokens)), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 5, 8), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
