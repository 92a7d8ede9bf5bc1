"""(silent) A price regressor on a nested encoder is compiled with metrics=["accuracy"]: exact matches of real values, always about 0."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(13,)), layers.Dense(16, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(13,), name="house")
model = keras.Model(x_in, layers.Dense(1, name="price")(encoder(x_in)), name="pricer")
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
houses = np.random.rand(8, 13).astype("float32")
prices = (np.random.rand(8, 1) * 50).astype("float32")
model.fit(houses, prices, epochs=1, batch_size=8, verbose=0)
