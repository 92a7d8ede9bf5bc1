"""Limit 1 (round 3): a mixture-of-experts router picks one expert with argmax inside its own call(); the gate's
weights never get a gradient (the experts and the head still train)."""
import numpy as np
import keras
from keras import layers, ops


class HardRouter(layers.Layer):
    def __init__(self, experts, units, **kw):
        super().__init__(**kw)
        self.experts = experts
        self.gate = layers.Dense(experts, name="gate")
        self.expert_bank = layers.Dense(experts * units, name="expert_bank")
        self.units = units

    def call(self, x):
        logits = self.gate(x)  # (batch, experts)
        choice = ops.one_hot(ops.argmax(logits, axis=-1), self.experts)  # (batch, experts)
        outs = ops.reshape(self.expert_bank(x), (-1, self.experts, self.units))
        return ops.sum(outs * choice[:, :, None], axis=1)


i = keras.Input((12,), name="features")
h = layers.Dense(16, activation="relu", name="embed")(i)
moe = keras.Model(i, HardRouter(4, 8, name="router")(h), name="moe_block")
j = keras.Input((12,), name="x")
model = keras.Model(j, layers.Dense(1, name="price")(moe(j)), name="pricer")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 12), np.random.rand(32, 1), epochs=1, verbose=0)
