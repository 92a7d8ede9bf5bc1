"""A custom fusion layer projects its two inputs (widths 6 and 10) with one Dense sublayer."""
import keras
from keras import layers


class PairFuse(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(units, name="proj")

    def call(self, inputs):
        a, b = inputs
        return self.proj(a) + self.proj(b)


a_in = keras.Input(shape=(6,))
audio = keras.Model(a_in, layers.Dense(6, name="a_feat")(a_in), name="audio")
v_in = keras.Input(shape=(10,))
video = keras.Model(v_in, layers.Dense(10, name="v_feat")(v_in), name="video")
xa = keras.Input(shape=(6,), name="xa")
xv = keras.Input(shape=(10,), name="xv")
fused = PairFuse(8, name="pair_fuse")([audio(xa), video(xv)])
model = keras.Model([xa, xv], fused, name="model")
