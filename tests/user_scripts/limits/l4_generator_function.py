"""Limit 4: a finite Python generator gives 3 batches, fit asks for 4 steps x 2 epochs."""
import numpy as np
import keras
from keras import layers

enc = keras.Sequential([keras.Input((6,)), layers.Dense(4, name="hidden")], name="encoder")
i = keras.Input((6,), name="features")
model = keras.Model(i, layers.Dense(1, name="price")(enc(i)), name="pricer")
model.compile("adam", "mse")


def batches(x, y, size):
    for start in range(0, len(x), size):
        yield x[start:start + size], y[start:start + size]


x, y = np.random.rand(12, 6), np.random.rand(12, 1)
model.fit(batches(x, y, 4), steps_per_epoch=4, epochs=2, verbose=0)
