# After keras-team/keras#20167 ("components ... returned by get_config() are explicitly deserialized in from_config()"): a registered custom model keeps a nested encoder model and
# puts the encoder OBJECT in get_config; from_config is the default, so loading passes a plain dict as encoder.
import keras
import numpy as np
from keras import layers as L


@keras.saving.register_keras_serializable(package="demo")
class Regressor(keras.Model):
    def __init__(self, encoder, units=1, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.units = units
        self.out_layer = L.Dense(units)

    def call(self, x):
        return self.out_layer(self.encoder(x))

    def get_config(self):
        config = super().get_config()
        config.update({"encoder": self.encoder, "units": self.units})
        return config


inp = keras.Input((5,))
encoder = keras.Model(inp, L.Dense(12, activation="relu")(inp), name="encoder")
model = Regressor(encoder, units=2, name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 5), np.random.rand(16, 2), verbose=0)
model.save("/tmp/probe12_regressor.keras")
restored = keras.models.load_model("/tmp/probe12_regressor.keras")
print(restored.predict(np.random.rand(2, 5), verbose=0))
