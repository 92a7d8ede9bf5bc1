"""Fixed: the layer calls super().__init__(**kwargs) first, so Keras sets it up with its name."""
import numpy as np
import keras
from keras import layers


class Scale(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
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
