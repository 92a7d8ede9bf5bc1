"""Limit 2 (round 3): a model-building class gives a Lambda its own method, which calls NumPy on the tensor."""
import numpy as np
import keras
from keras import layers


class TowerBuilder:
    def __init__(self, width):
        self.width = width

    def squash(self, t):
        return np.tanh(t) * np.sqrt(self.width)

    def build(self):
        t_in = keras.Input((self.width,))
        h = layers.Dense(self.width, name="hidden")(t_in)
        return keras.Model(t_in, layers.Lambda(self.squash, name="squash")(h), name="tower")


tower = TowerBuilder(6).build()
i = keras.Input((6,), name="feats")
model = keras.Model(i, layers.Dense(1, name="out")(tower(i)), name="scorer")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 6), np.random.rand(8, 1), epochs=1, verbose=0)
