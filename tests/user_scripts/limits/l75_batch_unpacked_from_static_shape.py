"""A nested mixer splits heads with `b, t, d = x.shape` and reshapes with b: JAX and PyTorch run it (the batch is a
number there), TensorFlow builds the model with the batch None and fails."""
import numpy as np
import keras
from keras import layers as L


class SplitHeads(L.Layer):
    def call(self, x):
        b, t, d = x.shape
        h = keras.ops.reshape(x, (b, t, 2, d // 2))
        return keras.ops.transpose(h, (0, 2, 1, 3))


seq = keras.Input((5, 8))
mixer = keras.Model(seq, L.Flatten()(SplitHeads(name="split")(L.Dense(8)(seq))), name="mixer")
x = keras.Input((5, 8))
model = keras.Model(x, L.Dense(1)(mixer(x)), name="net")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 5, 8), np.random.rand(8, 1), verbose=0)
