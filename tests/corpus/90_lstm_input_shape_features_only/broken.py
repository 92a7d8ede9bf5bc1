"""A nested LSTM encoder declared with Input(shape=(24,)) for 24 hourly readings: the LSTM needs (batch, steps, features)."""
import numpy as np
import keras
from keras import layers

hours = keras.Input(shape=(24,), name="hours")
encoder = keras.Model(hours, layers.LSTM(10, name="lstm")(hours), name="encoder")

day = keras.Input(shape=(24,), name="day")
model = keras.Model(day, layers.Dense(1, name="demand")(encoder(day)), name="demand_model")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 24).astype("float32")
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
