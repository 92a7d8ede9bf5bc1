"""Fixed: the layer uses keras.ops, which runs on every backend."""
import numpy as np

import keras
from keras import layers

class TimeMean(layers.Layer):
    def call(self, x):
        return keras.ops.mean(x, axis=1)

encoder = keras.Sequential([keras.Input(shape=(10, 4)), layers.Dense(8, name="proj"), TimeMean(name="pool")],
                           name="encoder")
series = keras.Input(shape=(10, 4), name="series")
model = keras.Model(series, layers.Dense(1, name="out")(encoder(series)), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 10, 4), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
