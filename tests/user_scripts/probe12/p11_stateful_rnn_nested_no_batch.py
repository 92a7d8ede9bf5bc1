# After keras-team/keras#1739 and keras-team/keras#1125 ("If a RNN is stateful, it needs to know its batch size"):
# a stateful LSTM inside a nested Sequential, the outer Input given shape= without a batch size.
import keras
import numpy as np
from keras import layers as L

memory = keras.Sequential([L.LSTM(16, stateful=True, return_sequences=True), L.LSTM(8, stateful=True)],
                          name="memory")
series = keras.Input((10, 3), name="series")
out = L.Dense(1, name="next_value")(memory(series))
model = keras.Model(series, out, name="forecaster")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 10, 3), np.random.rand(32, 1), batch_size=8, shuffle=False, epochs=1, verbose=0)
