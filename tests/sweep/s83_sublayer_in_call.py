"""A custom gated block creates its Dense sublayer inside call()."""
import keras
from keras import layers


class Gated(layers.Layer):
    def call(self, x):
        self.gate = layers.Dense(x.shape[-1], activation="sigmoid")
        return x * self.gate(x)


g_in = keras.Input(shape=(3, 8))
gblock = keras.Model(g_in, Gated(name="gated")(g_in), name="gblock")
x = keras.Input(shape=(3, 8), name="x")
model = keras.Model(x, gblock(x), name="model")
