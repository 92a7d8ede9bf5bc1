"""A registered residual Layer that wraps any inner block (here a small Sequential) serializes the block in
get_config and has no from_config: load_model gives the block's config dict to __init__, and call() then calls a
dict. The round-7 reader answered this for a Model only; in a Layer the layer probe answered first."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "denoiser.keras")


@keras.saving.register_keras_serializable(package="limits8")
class Residual(layers.Layer):
    def __init__(self, block, **kwargs):
        super().__init__(**kwargs)
        self.block = block

    def call(self, x):
        return x + self.block(x)

    def get_config(self):
        config = super().get_config()
        config["block"] = keras.saving.serialize_keras_object(self.block)
        return config


block = keras.Sequential([keras.Input((16,)), layers.Dense(16, activation="relu", name="mix")], name="block")
signal = keras.Input((16,), name="signal")
model = keras.Model(signal, layers.Dense(16, name="out")(Residual(block, name="residual")(signal)), name="denoiser")
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(32, 16).astype("float32")
model.fit(x, x, epochs=1, verbose=0)
model.save(path)
restored = keras.models.load_model(path)
restored.fit(x, x, epochs=1, verbose=0)
