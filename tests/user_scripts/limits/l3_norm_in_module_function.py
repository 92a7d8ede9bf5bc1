"""Limit 3: a layer's call() calls a module-level helper that builds a LayerNormalization two levels down."""
import numpy as np
import keras
from keras import layers


def _normalize(t):
    return layers.LayerNormalization(epsilon=1e-5)(t)


def pre_norm(t):
    return _normalize(t)


class PreNormBlock(layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.ff = layers.Dense(units)

    def call(self, x):
        return x + self.ff(pre_norm(x))


i = keras.Input((5,))
enc = keras.Model(i, PreNormBlock(5, name="prenorm")(i), name="encoder")
j = keras.Input((5,))
model = keras.Model(j, layers.Dense(3, activation="softmax", name="cls")(enc(j)), name="tagger")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 5), np.random.randint(0, 3, 8), epochs=1, verbose=0)
