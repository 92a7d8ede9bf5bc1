"""Limit 3 (round 3): PyTorch-style in-place methods in a helper method: a gated block's helper scales the
sigmoid gate in place (gate.mul_(...)) and zeroes its first channel with an index assignment."""
import numpy as np
import keras
from keras import layers, ops


class GatedResidual(layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.proj = layers.Dense(units, name="proj")
        self.gate = layers.Dense(units, name="gate_logits")

    def _apply_gate(self, h, x):
        g = ops.sigmoid(self.gate(x))
        g.mul_(0.5)
        g[..., 0] = 0.0
        return h * g + x

    def call(self, x):
        return self._apply_gate(self.proj(x), x)


i = keras.Input((8,), name="x")
block = keras.Model(i, GatedResidual(8, name="gated")(layers.Dense(8, name="stem")(i)), name="res_stack")
j = keras.Input((8,))
model = keras.Model(j, layers.Dense(1, name="y")(block(j)), name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 8), np.random.rand(16, 1), epochs=1, verbose=0)
