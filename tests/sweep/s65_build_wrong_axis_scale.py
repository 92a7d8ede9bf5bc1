"""A custom per-feature scale builds its weight from axis 1 (the steps) instead of the last axis."""
import keras
from keras import layers


class FeatureScale(layers.Layer):
    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(input_shape[1],), initializer="ones", name="gamma")

    def call(self, x):
        return x * self.gamma


e_in = keras.Input(shape=(7, 12))
encoder = keras.Model(e_in, layers.Dense(12, name="proj")(e_in), name="encoder")
r_in = keras.Input(shape=(7, 12))
refiner = keras.Model(r_in, FeatureScale(name="fscale")(r_in), name="refiner")
x = keras.Input(shape=(7, 12), name="frames")
model = keras.Model(x, refiner(encoder(x)), name="model")
