"""A registered subclassed Regressor takes its encoder (a Sequential) in __init__ and serializes it in get_config, but
has no from_config: load_model passes the encoder's config dict to __init__, and call() then calls a dict."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "regressor.keras")
x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


@keras.saving.register_keras_serializable(package="heldout17")
class Regressor(keras.Model):
    def __init__(self, encoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.head = layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.encoder(inputs))

    def get_config(self):
        config = super().get_config()
        config["encoder"] = keras.saving.serialize_keras_object(self.encoder)
        return config


encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")],
                           name="encoder")
model = Regressor(encoder, name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
model.save(path)
model = keras.models.load_model(path)
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
