"""Limit 5: mixed_float16; a subclassed model calls a nested functional scorer ending in sigmoid."""
import numpy as np
import keras
from keras import layers

keras.mixed_precision.set_global_policy("mixed_float16")
s_in = keras.Input((8,))
scorer = keras.Model(s_in, layers.Dense(1, activation="sigmoid", name="fraud_prob")(s_in), name="scorer")


class FraudNet(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.embed = layers.Dense(8, activation="relu", name="embed")
        self.scorer = scorer

    def call(self, x):
        return self.scorer(self.embed(x))


net = FraudNet(name="fraud_net")
net.compile("adam", "binary_crossentropy")
net.fit(np.random.rand(8, 12), np.random.randint(0, 2, (8, 1)), epochs=1, verbose=0)
