"""A custom layer in a nested encoder defines get_config but its __init__ takes no **kwargs; the model saves, load_model fails."""
import os
import tempfile

import numpy as np
import keras
from keras import layers


@keras.saving.register_keras_serializable(package="corpus148")
class Scale(layers.Layer):
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, name="hidden"), Scale(0.5)], name="encoder")
rows = keras.Input(shape=(6,), name="rows")
model = keras.Model(rows, layers.Dense(1, name="out")(encoder(rows)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 6).astype("float32"), np.random.rand(8, 1).astype("float32"), epochs=1, batch_size=8, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "regressor.keras")
model.save(path)
restored = keras.models.load_model(path)
