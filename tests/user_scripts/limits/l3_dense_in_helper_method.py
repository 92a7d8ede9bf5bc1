"""Limit 3: a nested block's call() calls its own helper method, which makes a Dense each time."""
import numpy as np
import keras
from keras import layers


class Highway(layers.Layer):
    def _transform(self, x):
        return layers.Dense(x.shape[-1], activation="sigmoid")(x)

    def call(self, x):
        t = self._transform(x)
        return t * x + (1.0 - t) * x


i = keras.Input((6,))
block = keras.Model(i, Highway(name="highway")(layers.Dense(6, name="embed")(i)), name="hw_block")
j = keras.Input((6,), name="features")
model = keras.Model(j, layers.Dense(1, name="out")(block(j)), name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 6), np.random.rand(8, 1), epochs=1, verbose=0)
