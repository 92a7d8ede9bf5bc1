"""Residual shortcut without a projection: the input (48) and the nested encoder's output (32) differ in width."""
import numpy as np
import keras
from keras import layers, ops


class ResidualRegressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(32, activation="relu", name="enc_hidden")], name="encoder")
        self.head = layers.Dense(1, name="head")

    def call(self, x):
        return self.head(ops.add(self.encoder(x), x))


model = ResidualRegressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 48), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
