"""Limit 4: an endless generator (while True): nothing runs out, kernest must stay silent."""
import numpy as np
import keras
from keras import layers

enc = keras.Sequential([keras.Input((6,)), layers.Dense(4, name="hidden")], name="encoder")
i = keras.Input((6,), name="features")
model = keras.Model(i, layers.Dense(1, name="price")(enc(i)), name="pricer")
model.compile("adam", "mse")


def forever(x, y):
    while True:
        yield x, y


model.fit(forever(np.random.rand(4, 6), np.random.rand(4, 1)), steps_per_epoch=3, epochs=2, verbose=0)
