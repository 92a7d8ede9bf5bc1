"""Limit 1 (round 5): a nested ranking encoder keeps an exponential moving average of its features in a
non-trainable weight and updates it in call() with one chain of PyTorch in-place calls
(self.feature_ema.mul_(...).add_(...))."""
import numpy as np
import keras
from keras import layers, ops


class FeatureEMA(layers.Layer):
    def __init__(self, momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        self.feature_ema = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False,
                                           name="feature_ema")

    def call(self, x, training=None):
        if training:
            self.feature_ema.mul_(self.momentum).add_((1.0 - self.momentum) * ops.mean(x, axis=0))
        return x - self.feature_ema


q = keras.Input((12,), name="query")
h = layers.Dense(12, activation="relu", name="proj")(q)
encoder = keras.Model(q, FeatureEMA(0.95, name="ema")(h), name="query_encoder")
x = keras.Input((12,), name="query_features")
ranker = keras.Model(x, layers.Dense(1, name="relevance")(encoder(x)), name="ranker")
ranker.compile("adam", "mse")
ranker.fit(np.random.rand(40, 12), np.random.rand(40, 1), epochs=1, verbose=0)
