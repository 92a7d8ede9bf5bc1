"""Fixed: the nested encoder is compiled before its own fit."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
codes = np.random.rand(8, 4).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(4, activation="relu", name="code")], name="encoder")
decoder = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(12, name="recon")], name="decoder")
signal = keras.Input(shape=(12,), name="signal")
model = keras.Model(signal, decoder(encoder(signal)), name="autoencoder")
model.compile(optimizer="adam", loss="mse")
model.fit(x, x, epochs=1, batch_size=len(x), verbose=0)

encoder = model.get_layer("encoder")
encoder.compile(optimizer="adam", loss="mse")
encoder.fit(x, codes, epochs=1, batch_size=len(x), verbose=0)
