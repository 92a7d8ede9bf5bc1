"""A regressor on a nested encoder is compiled with Adam(clipnorm=1.0, global_clipnorm=5.0): two gradient clipping
settings at once, which Keras refuses when the optimizer is made."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="yield_")(encoder(features)), name="regressor")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0, global_clipnorm=5.0), loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
