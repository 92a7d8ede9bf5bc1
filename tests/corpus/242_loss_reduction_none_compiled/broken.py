"""A regressor on a nested encoder is compiled with keras.losses.MeanSquaredError(reduction=None), meant to keep
the per-sample losses; fit then differentiates a vector of losses, which JAX and PyTorch refuse (TensorFlow's tape
silently sums it)."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="price")(encoder(features)), name="regressor")
model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError(reduction=None))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
