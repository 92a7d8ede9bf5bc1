"""Fixed: the subclassed block returns its constructor arguments from get_config, so clone_model can rebuild it."""
import numpy as np
import keras
from keras import layers


class ResidualBlock(keras.Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.proj = layers.Dense(units)

    def call(self, inputs):
        return inputs + self.proj(self.hidden(inputs))

    def get_config(self):
        return {"units": self.units, "name": self.name}


x = np.random.rand(8, 16).astype("float32")
y = np.random.rand(8, 1).astype("float32")
inp = keras.Input(shape=(16,), name="features")
out = layers.Dense(1, name="score")(ResidualBlock(16, name="block")(inp))
base = keras.Model(inp, out, name="regressor")
model = keras.models.clone_model(base)
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
