"""Limit 4 (round 3): a generator function given zip(x_chunks, y_chunks): 3 batches for 3 steps x 2 epochs."""
import numpy as np
import keras
from keras import layers

x_chunks = [np.random.rand(6, 5).astype("float32") for _ in range(3)]
y_chunks = [np.random.randint(0, 2, (6, 1)).astype("float32") for _ in range(3)]


def as_batches(pairs):
    for x, y in pairs:
        yield x, y


t_in = keras.Input((5,))
tower = keras.Model(t_in, layers.Dense(3, activation="relu", name="feat")(t_in), name="tower")
i = keras.Input((5,))
model = keras.Model(i, layers.Dense(1, activation="sigmoid", name="p")(tower(i)), name="clf")
model.compile("adam", "binary_crossentropy")
model.fit(as_batches(zip(x_chunks, y_chunks)), steps_per_epoch=3, epochs=2, verbose=0)
