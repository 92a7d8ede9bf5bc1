"""Custom layer inside a nested encoder; the saved model is loaded without telling Keras about the class."""
import os
import tempfile

import numpy as np
import keras
from keras import layers


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, name="proj"), Scale(0.5, name="scale")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="price")(encoder(features)), name="pricer")
model.compile(optimizer="adam", loss="mse")
x, y = np.random.rand(8, 6), np.random.rand(8, 1)
model.fit(x, y, epochs=1, batch_size=8, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "pricer.keras")
model.save(path)
model = keras.models.load_model(path)
