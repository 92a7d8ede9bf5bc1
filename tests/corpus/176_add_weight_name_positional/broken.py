"""A custom per-feature Scale layer written for Keras 2 calls self.add_weight("gamma", shape=...) inside a nested
encoder: in Keras 3 the first positional argument of add_weight is shape, so the name collides with shape=."""
import numpy as np
import keras
from keras import layers


class Scale(layers.Layer):
    def build(self, input_shape):
        self.gamma = self.add_weight("gamma", shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.gamma


x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, name="proj"), Scale(name="scale")], name="encoder")
inp = keras.Input(shape=(10,), name="features")
model = keras.Model(inp, layers.Dense(1, name="out")(encoder(inp)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
