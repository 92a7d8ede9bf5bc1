"""A custom head-splitting layer reshapes with the batch size written in; predict uses another batch size."""
import keras
import numpy as np
from keras import layers, ops


class SplitHeads(layers.Layer):
    def call(self, x):
        return ops.reshape(x, (32, 4, 6))


u_in = keras.Input(shape=(24,))
unpack = keras.Model(u_in, SplitHeads(name="split_heads")(u_in), name="unpack")
x = keras.Input(shape=(24,), name="x")
model = keras.Model(x, layers.Dense(2, name="out")(unpack(x)), name="model")
model.predict(np.zeros((8, 24), "float32"), verbose=0)
