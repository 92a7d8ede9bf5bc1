"""A custom layer's __init__ takes no **kwargs; the nested model saves, and loading it fails."""
import os
import tempfile

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="sweep")
class Shift(layers.Layer):
    def __init__(self, offset=1.0):
        super().__init__()
        self.offset = offset

    def call(self, x):
        return x + self.offset

    def get_config(self):
        return {**super().get_config(), "offset": self.offset}


i_in = keras.Input(shape=(3,))
inner = keras.Model(i_in, Shift(0.5)(layers.Dense(3, name="d")(i_in)), name="inner")
x = keras.Input(shape=(3,), name="x")
model = keras.Model(x, inner(x), name="model")
path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)
keras.models.load_model(path)
