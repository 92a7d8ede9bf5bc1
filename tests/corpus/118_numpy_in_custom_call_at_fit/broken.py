"""A subclassed model clips its nested encoder's features with NumPy inside call; fails at fit."""
import numpy as np
import keras
from keras import layers


class Forecaster(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(8, name="hidden")], name="encoder")
        self.head = layers.Dense(1, name="head")

    def call(self, x):
        h = self.encoder(x)
        h = np.clip(h, 0.0, 6.0)
        return self.head(h)


model = Forecaster(name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 5), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
