"""Limit 2 (round 4): a warm-up gate counts its training steps in a non-trainable weight with `self.steps += 1.0` in
call(): Python rebinds the attribute to a new tensor (the bayesflow-org/bayesflow#223 pattern)."""
import numpy as np
import keras
from keras import layers, ops


class WarmupGate(layers.Layer):
    def __init__(self, warmup=100, **kw):
        super().__init__(**kw)
        self.warmup = warmup
        self.steps = self.add_weight(shape=(), initializer="zeros", trainable=False, name="steps")

    def call(self, x, training=None):
        if training:
            self.steps += 1.0
        return x * ops.minimum(1.0, self.steps / self.warmup)


i = keras.Input((8,), name="x")
h = layers.Dense(8, activation="tanh", name="hidden")(i)
branch = keras.Model(i, WarmupGate(name="warmup")(h), name="aux_branch")
j = keras.Input((8,), name="inputs")
model = keras.Model(j, layers.Dense(1, name="y")(branch(j)), name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 8), np.random.rand(32, 1), epochs=1, verbose=0)
