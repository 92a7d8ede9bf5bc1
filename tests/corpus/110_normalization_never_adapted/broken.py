"""Normalization without adapt(): the features (in the thousands) reach the network unscaled."""
import numpy as np
import keras
from keras import layers

norm = layers.Normalization(name="norm")
prep = keras.Sequential([keras.Input(shape=(4,)), norm], name="prep")
house = keras.Input(shape=(4,), name="house")
hidden = layers.Dense(8, activation="relu", name="hid")(prep(house))
model = keras.Model(house, layers.Dense(1, name="price")(hidden), name="valuer")
data = np.random.rand(8, 4) * np.array([1000.0, 5.0, 3.0, 2000.0])
model.compile(optimizer="adam", loss="mse")
model.fit(data, np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
