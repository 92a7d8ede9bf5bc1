"""Fixed: the compiled loss reduces to one number (the default reduction)."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="price")(encoder(features)), name="regressor")
model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError())
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
