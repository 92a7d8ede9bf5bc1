# The pattern of JAX's ConcretizationTypeError and TensorFlow's "using a tf.Tensor as a Python bool" reports:
# a Python `if` on a tensor inside a nested layer's call().
import keras
import numpy as np
from keras import layers as L


class SafeNorm(L.Layer):
    def call(self, x):
        n = keras.ops.norm(x, axis=-1, keepdims=True)
        if keras.ops.max(n) > 1.0:
            return x / n
        return x


inp = keras.Input((8,))
block = keras.Model(inp, SafeNorm(name="safe_norm")(L.Dense(8)(inp)), name="block")
x = keras.Input((8,))
model = keras.Model(x, L.Dense(1)(block(x)), name="reg")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 8), np.random.rand(16, 1), verbose=0)
