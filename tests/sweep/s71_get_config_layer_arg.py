"""A custom residual wrapper takes a layer in __init__ and has no get_config; the nested model is saved."""
import os
import tempfile

import keras
from keras import layers


class Residual(layers.Layer):
    def __init__(self, body, **kwargs):
        super().__init__(**kwargs)
        self.body = body

    def call(self, x):
        return x + self.body(x)


s_in = keras.Input(shape=(5,))
stage = keras.Model(s_in, Residual(layers.Dense(5, name="inner"), name="res")(s_in), name="stage")
x = keras.Input(shape=(5,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(stage(x)), name="model")
model.save(os.path.join(tempfile.mkdtemp(), "model.keras"))
