"""Limit 4 (round 6): a nested dialogue-state encoder keeps 4 memory slots of 8 features in a non-trainable weight
and, in training, writes the batch summary into the emptiest slot, found with argmin: item assignment on the
weight at an index computed in call."""
import numpy as np
import keras
from keras import layers, ops


class SlotMemory(layers.Layer):
    def build(self, input_shape):
        self.memory = self.add_weight(shape=(4, input_shape[-1]), initializer="zeros", trainable=False, name="memory")

    def call(self, turns, training=None):
        if training:
            emptiest = ops.argmin(ops.sum(ops.abs(self.memory), axis=1))
            self.memory[emptiest] = ops.mean(turns, axis=0)
        return turns + ops.mean(self.memory, axis=0)


t = keras.Input((8,), name="turn")
h = layers.Dense(8, activation="tanh", name="encode")(t)
tracker = keras.Model(t, SlotMemory(name="slots")(h), name="state_tracker")
u = keras.Input((8,), name="utterance")
intent = keras.Model(u, layers.Dense(4, activation="softmax", name="intent")(tracker(u)), name="intent_model")
intent.compile("adam", "sparse_categorical_crossentropy")
intent.fit(np.random.rand(32, 8), np.random.randint(0, 4, (32,)), batch_size=8, epochs=1, verbose=0)
