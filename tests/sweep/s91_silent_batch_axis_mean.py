"""Silent: a custom centering layer in a nested model subtracts the mean over the batch axis."""
import keras
import numpy as np
from keras import layers, ops


class Center(layers.Layer):
    def call(self, x):
        return x - ops.mean(x, axis=0, keepdims=True)


p_in = keras.Input(shape=(11,))
prep = keras.Model(p_in, Center(name="center")(p_in), name="prep")
x = keras.Input(shape=(11,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(prep(x)), name="model")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 11).astype("float32"), np.random.rand(8, 1), epochs=1, verbose=0)
