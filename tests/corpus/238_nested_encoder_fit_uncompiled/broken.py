"""An autoencoder is compiled and trained; its nested encoder, taken with model.get_layer("encoder"), is then
fine-tuned on its own against stored codes with encoder.fit(...). Compiling the outer model does not compile the
models nested in it, so the encoder's fit fails: compile() must be called first."""
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
encoder.fit(x, codes, epochs=1, batch_size=len(x), verbose=0)
