"""Limit 2 (round 5): a nested session encoder keeps a small memory of batch summaries in a non-trainable weight
(4 slots of 8 features) and writes the newest summary into slot 0 with item assignment on the weight."""
import numpy as np
import keras
from keras import layers, ops


class SummaryMemory(layers.Layer):
    def build(self, input_shape):
        self.slots = self.add_weight(shape=(4, input_shape[-1]), initializer="zeros", trainable=False, name="slots")

    def call(self, x, training=None):
        if training:
            self.slots[0] = ops.mean(x, axis=0)
        return x + ops.mean(self.slots, axis=0)


s = keras.Input((8,), name="clicks")
h = layers.Dense(8, activation="tanh", name="embed")(s)
session = keras.Model(s, SummaryMemory(name="memory")(h), name="session_encoder")
u = keras.Input((8,), name="user_clicks")
model = keras.Model(u, layers.Dense(3, activation="softmax", name="next_item")(session(u)), name="recommender")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(48, 8), np.random.randint(0, 3, (48,)), epochs=1, verbose=0)
