"""A custom Scale layer in a nested encoder sets its own attribute in __init__ but never calls
super().__init__(**kwargs): the layer has no name, so building the encoder Sequential fails."""
import numpy as np
import keras
from keras import layers


class Scale(layers.Layer):
    def __init__(self, factor, **kwargs):
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor


x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, name="proj"), Scale(2.0, name="scale")], name="encoder")
inp = keras.Input(shape=(10,), name="features")
model = keras.Model(inp, layers.Dense(1, name="out")(encoder(inp)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
