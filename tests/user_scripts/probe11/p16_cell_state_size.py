# After keras-team/keras#8847 / keras.io "Working with RNNs" (custom cells): the cell declares two states
# but returns one.
import keras
import numpy as np
from keras import layers as L


class PeepCell(L.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units))

    def call(self, x, states):
        h = keras.ops.tanh(x @ self.kernel + states[0])
        return h, [h]


seq = keras.Input((5, 3))
enc = keras.Model(seq, L.RNN(PeepCell(4), name="peep")(seq), name="enc")
x = keras.Input((5, 3))
model = keras.Model(x, L.Dense(1)(enc(x)))
model.compile("adam", "mse")
model.fit(np.random.rand(8, 5, 3), np.random.rand(8, 1), verbose=0)
