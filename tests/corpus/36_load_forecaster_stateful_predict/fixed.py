"""Electricity-load forecaster: the encoder's stateful GRU is declared with batch_size=2 and trained in pairs of
households, and predict() uses the same batch of 2 (fixed)."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential(
    [
        keras.Input(shape=(24, 2), batch_size=2, name="hours"),
        layers.GRU(16, stateful=True, name="gru"),
    ],
    name="encoder",
)

load = keras.Input(shape=(24, 2), batch_size=2, name="load")
model = keras.Model(load, layers.Dense(24, name="next_day")(encoder(load)), name="forecaster")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(6, 24, 2).astype("float32")
y = np.random.rand(6, 24).astype("float32")
model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
forecast = model.predict(x, batch_size=2, verbose=0)
