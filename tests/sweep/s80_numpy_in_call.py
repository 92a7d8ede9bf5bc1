"""A custom clipping layer calls NumPy on its input inside a nested model."""
import keras
import numpy as np
from keras import layers


class Clip01(layers.Layer):
    def call(self, x):
        return np.clip(x, 0.0, 1.0)


n_in = keras.Input(shape=(6,))
norm = keras.Model(n_in, Clip01(name="clip01")(layers.Dense(6, name="pre")(n_in)), name="norm")
x = keras.Input(shape=(6,), name="x")
model = keras.Model(x, norm(x), name="model")
