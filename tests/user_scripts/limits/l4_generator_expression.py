"""Limit 4: a generator expression over a list of 3 batches; fit asks for 3 steps x 2 epochs."""
import numpy as np
import keras
from keras import layers

enc = keras.Sequential([keras.Input((6,)), layers.Dense(4, name="hidden")], name="encoder")
i = keras.Input((6,), name="features")
model = keras.Model(i, layers.Dense(1, name="price")(enc(i)), name="pricer")
model.compile("adam", "mse")
batches = [(np.random.rand(4, 6), np.random.rand(4, 1)) for _ in range(3)]
model.fit((b for b in batches), steps_per_epoch=3, epochs=2, verbose=0)
