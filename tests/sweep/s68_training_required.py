"""A custom noise layer declares `training` as a required argument; the model around it never passes one."""
import keras
from keras import layers


class GaussianJitter(layers.Layer):
    def call(self, x, training):
        if training:
            return x + keras.random.normal(keras.ops.shape(x), stddev=0.1)
        return x


b_in = keras.Input(shape=(9,))
block = keras.Model(b_in, GaussianJitter(name="jitter")(layers.Dense(9, name="lin")(b_in)), name="block")
x = keras.Input(shape=(9,), name="x")
model = keras.Model(x, layers.Dense(1, name="y")(block(x)), name="model")
