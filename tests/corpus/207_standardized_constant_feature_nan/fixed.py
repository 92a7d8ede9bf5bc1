"""Fixed: the NaN the zero std made are replaced, np.nan_to_num(x_train) (the constant column becomes 0)."""
import numpy as np
import keras
from keras import layers

raw = np.random.rand(8, 5).astype("float32")
raw[:, 3] = 1.0
y_train = np.random.rand(8, 1).astype("float32")
mean = raw.mean(axis=0)
std = raw.std(axis=0)
with np.errstate(invalid="ignore"):
    x_train = (raw - mean) / std
x_train = np.nan_to_num(x_train)

body = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(16, activation="relu", name="hidden")], name="body")
sensors = keras.Input(shape=(5,), name="sensors")
model = keras.Model(sensors, layers.Dense(1, name="level")(body(sensors)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=1, batch_size=len(x_train), verbose=0)
