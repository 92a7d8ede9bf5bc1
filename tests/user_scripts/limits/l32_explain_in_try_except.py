"""Limit 6 (round 5): a residual MLP block written for tf.keras 2 declares call(self, x, training) with no default;
the user's own try/except around fit hands the error to kernest.explain."""
import numpy as np
import keras
from keras import layers

import kernest


class ResidualMLP(layers.Layer):
    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(width, activation="gelu")
        self.drop = layers.Dropout(0.2)

    def call(self, x, training):
        return x + self.drop(self.hidden(x), training=training)


try:
    t = keras.Input((10,), name="tabular")
    backbone = keras.Model(t, ResidualMLP(10, name="res_block")(t), name="backbone")
    u = keras.Input((10,), name="row")
    model = keras.Model(u, layers.Dense(1, name="price")(backbone(u)), name="pricer")
    model.compile("adam", "mse")
    model.fit(np.random.rand(16, 10), np.random.rand(16, 1), epochs=1, verbose=0)
except Exception as err:
    print(kernest.explain(err))
