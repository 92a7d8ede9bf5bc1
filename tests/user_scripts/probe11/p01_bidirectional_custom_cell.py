# After keras-team/keras#8847 (a custom RNN cell inside Bidirectional fails; the cell's extra
# __init__ argument is not in its config, so the backward copy cannot be made).
import keras
import numpy as np
from keras import layers as L


class LeakyCell(L.Layer):
    def __init__(self, units, leak, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.leak = leak
        self.state_size = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units))
        self.u = self.add_weight(shape=(self.units, self.units))

    def call(self, x, states):
        h = states[0]
        out = (1 - self.leak) * h + self.leak * keras.ops.tanh(x @ self.w + h @ self.u)
        return out, [out]


tokens = keras.Input((12,), dtype="int32")
h = L.Embedding(100, 16)(tokens)
h = L.Bidirectional(L.RNN(LeakyCell(8, 0.3)))(h)
encoder = keras.Model(tokens, h, name="encoder")
inp = keras.Input((12,), dtype="int32")
model = keras.Model(inp, L.Dense(1, activation="sigmoid")(encoder(inp)))
model.compile("adam", "binary_crossentropy")
model.fit(np.random.randint(0, 100, (16, 12)), np.random.randint(0, 2, (16, 1)), verbose=0)
