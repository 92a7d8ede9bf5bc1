"""A custom layer's get_config forgets one of its __init__ arguments; the nested model saves but does not load."""
import os
import tempfile

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="sweep")
class Blend(layers.Layer):
    def __init__(self, alpha, beta, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.beta = beta

    def call(self, x):
        return self.alpha * x + self.beta

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


i_in = keras.Input(shape=(4,))
mix = keras.Model(i_in, Blend(0.3, 0.1, name="blend")(layers.Dense(4, name="d")(i_in)), name="mix")
x = keras.Input(shape=(4,), name="x")
model = keras.Model(x, mix(x), name="model")
path = os.path.join(tempfile.mkdtemp(), "model.keras")
model.save(path)
keras.models.load_model(path)
