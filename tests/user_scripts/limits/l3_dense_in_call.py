"""Limit 3: a user's gated block makes its Dense inside call(), nested in a functional model."""
import numpy as np
import keras
from keras import layers


class Gate(layers.Layer):
    def call(self, x):
        g = layers.Dense(x.shape[-1], activation="sigmoid")(x)
        return x * g


i = keras.Input((8,), name="signal")
block = keras.Model(i, Gate(name="gate")(layers.Dense(8, name="proj")(i)), name="gated_block")
j = keras.Input((8,))
model = keras.Model(j, layers.Dense(1, name="score")(block(j)), name="scorer")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 8), np.random.rand(8, 1), epochs=1, verbose=0)
