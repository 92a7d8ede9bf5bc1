"""Limit 4 (round 6): a nested gating layer keeps a "usage" weight per feature; during training it resets the
entries that decayed below 0.05 with a boolean mask (item assignment on the weight) and halves every second entry
with a step slice."""
import numpy as np
import keras
from keras import layers, ops


class UsageGate(layers.Layer):
    def build(self, input_shape):
        self.usage = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=False, name="usage")

    def call(self, x, training=None):
        if training:
            stale = self.usage < 0.05
            self.usage[stale] = 1.0
            self.usage[::2] = self.usage[::2] * 0.5
        return x * ops.sigmoid(self.usage)


f = keras.Input((12,), name="features")
h = layers.Dense(12, activation="relu", name="proj")(f)
block = keras.Model(f, UsageGate(name="gate")(h), name="gated_block")
q = keras.Input((12,), name="query")
ranker = keras.Model(q, layers.Dense(1, name="score")(block(q)), name="ranker")
ranker.compile("adam", "mse")
ranker.fit(np.random.rand(40, 12), np.random.rand(40, 1), batch_size=8, epochs=1, verbose=0)
