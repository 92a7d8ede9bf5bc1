"""Fixed: fit is given the generator (the function called)."""
import numpy as np
import keras
from keras import layers


def batches():
    while True:
        yield np.random.rand(8, 6).astype("float32"), np.random.rand(8, 1).astype("float32")


encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="load")(encoder(features)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(batches(), steps_per_epoch=2, epochs=1, verbose=0)
