"""A forecaster's nested encoder runs a custom MinimalCell in layers.RNN; the cell keeps its width in self.units but
never sets self.state_size, which RNN reads to make the initial state, so the encoder cannot be made."""
import numpy as np
import keras
from keras import layers, ops


class MinimalCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), name="recurrent")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent))
        return h, [h]


x = np.random.rand(8, 10, 3).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10, 3)), layers.RNN(MinimalCell(12, name="cell"), name="rnn")],
                           name="encoder")
window = keras.Input(shape=(10, 3), name="window")
model = keras.Model(window, layers.Dense(1, name="next_value")(encoder(window)), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
