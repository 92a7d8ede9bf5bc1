"""A custom channel scale in a channels-first CNN builds its weight from the last axis (the width)."""
import keras
from keras import layers, ops


class ChannelScale(layers.Layer):
    def build(self, input_shape):
        self.s = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="s")

    def call(self, x):
        return x * ops.reshape(self.s, (1, -1, 1, 1))


c_in = keras.Input(shape=(3, 10, 12))
stem = keras.Model(c_in, layers.Conv2D(6, 3, padding="same", data_format="channels_first", name="c1")(c_in),
                   name="stem")
g_in = keras.Input(shape=(6, 10, 12))
gate = keras.Model(g_in, ChannelScale(name="ch_scale")(g_in), name="gate")
x = keras.Input(shape=(3, 10, 12), name="img")
model = keras.Model(x, gate(stem(x)), name="model")
