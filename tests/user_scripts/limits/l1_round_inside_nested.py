"""Limit 1: a nested encoder rounds its code (a quantizer) before the decoder reads it."""
import numpy as np
import keras
from keras import layers, ops

encoder = keras.Sequential([keras.Input((10,)), layers.Dense(3, activation="sigmoid", name="code"),
                            layers.Lambda(lambda c: ops.round(c * 7.0) / 7.0, name="quantize")], name="encoder")
x = keras.Input((10,), name="signal")
autoencoder = keras.Model(x, layers.Dense(10, name="decode")(encoder(x)), name="autoencoder")
autoencoder.compile("adam", "mse")
data = np.random.rand(16, 10).astype("float32")
autoencoder.fit(data, data, epochs=1, verbose=0)
