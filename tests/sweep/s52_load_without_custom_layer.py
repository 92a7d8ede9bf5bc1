"""A model nesting a block with a custom layer is saved and loaded without custom_objects."""
import os
import tempfile

import keras
from keras import layers


class Gain(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


b_in = keras.Input(shape=(4,))
block = keras.Model(b_in, Gain(name="gain")(layers.Dense(4, name="bd")(b_in)), name="block")
x = keras.Input(shape=(4,), name="x")
amp = keras.Model(x, block(x), name="amp")
path = os.path.join(tempfile.mkdtemp(), "amp.keras")
amp.save(path)
restored = keras.models.load_model(path)
