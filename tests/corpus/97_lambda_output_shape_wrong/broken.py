"""A Lambda that averages over time declares output_shape=(24,) but returns the encoder's 32 features; the Dense after it is built for 24."""
import numpy as np
import keras
from keras import layers, ops

seq = keras.Input(shape=(10, 8), name="seq")
encoder = keras.Model(seq, layers.LSTM(32, return_sequences=True, name="lstm")(seq), name="encoder")

series = keras.Input(shape=(10, 8), name="series")
h = encoder(series)
h = layers.Lambda(lambda t: ops.mean(t, axis=1), output_shape=(24,), name="time_mean")(h)
out = layers.Dense(1, name="forecast")(h)
model = keras.Model(series, out, name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(4, 10, 8), np.random.rand(4, 1), epochs=1, batch_size=4, verbose=0)
