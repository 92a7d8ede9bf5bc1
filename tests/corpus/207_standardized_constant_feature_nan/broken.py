"""Sensor features are standardised by hand, (x - mean) / std; one sensor is constant, its std is 0, and that
column becomes NaN in every row. fit runs without an error and the loss is nan from the first step."""
import numpy as np
import keras
from keras import layers

raw = np.random.rand(8, 5).astype("float32")
raw[:, 3] = 1.0
y_train = np.random.rand(8, 1).astype("float32")
mean = raw.mean(axis=0)
std = raw.std(axis=0)
x_train = (raw - mean) / std

body = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(16, activation="relu", name="hidden")], name="body")
sensors = keras.Input(shape=(5,), name="sensors")
model = keras.Model(sensors, layers.Dense(1, name="level")(body(sensors)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=1, batch_size=len(x_train), verbose=0)
