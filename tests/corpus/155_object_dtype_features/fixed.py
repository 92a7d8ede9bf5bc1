"""Fixed: the object array is converted to float32 before fit."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(0)
rows = [[float(v) for v in rng.random(6)] for _ in range(8)]
features = np.array(rows, dtype=object)
prices = rng.random((8, 1)).astype("float32")

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(6,), name="house")
model = keras.Model(x_in, layers.Dense(1, name="price")(encoder(x_in)), name="pricer")
model.compile(optimizer="adam", loss="mse")
model.fit(features.astype("float32"), prices, epochs=1, batch_size=8, verbose=0)
