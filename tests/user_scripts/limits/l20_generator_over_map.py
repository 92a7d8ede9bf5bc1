"""Limit 4 (round 3): a generator expression over map(augment, batches) runs out after one epoch of 4 steps."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(0)
xs, ys = rng.random((32, 10)).astype("float32"), rng.random((32, 1)).astype("float32")
batches = [(xs[k:k + 8], ys[k:k + 8]) for k in range(0, 32, 8)]


def augment(batch):
    x, y = batch
    return x + rng.normal(0.0, 0.01, x.shape).astype("float32"), y


inner = keras.Sequential([keras.Input((10,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
i = keras.Input((10,), name="x")
model = keras.Model(i, layers.Dense(1, name="y")(inner(i)), name="regressor")
model.compile("adam", "mse")
model.fit((b for b in map(augment, batches)), steps_per_epoch=4, epochs=3, verbose=0)
