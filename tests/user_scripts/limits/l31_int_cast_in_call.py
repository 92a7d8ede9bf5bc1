"""Limit 4 (round 5): a nested compressor quantizes its code to 16 levels by casting to int32 in call() and back to
float; the loss flows through the cast, so the projection before it gets no gradient."""
import numpy as np
import keras
from keras import layers, ops


class Quantize(layers.Layer):
    def __init__(self, levels, **kwargs):
        super().__init__(**kwargs)
        self.levels = levels

    def call(self, code):
        steps = ops.cast(code * self.levels, "int32")
        return ops.cast(steps, "float32") / self.levels


i = keras.Input((24,), name="frame")
code = layers.Dense(6, activation="sigmoid", name="project")(i)
compressor = keras.Model(i, Quantize(16, name="quantize")(code), name="compressor")
j = keras.Input((24,), name="audio_frame")
codec = keras.Model(j, layers.Dense(24, name="reconstruct")(compressor(j)), name="codec")
codec.compile("adam", "mse")
codec.fit(np.random.rand(32, 24), np.random.rand(32, 24), epochs=1, verbose=0)
