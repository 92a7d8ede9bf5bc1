"""VAE sampling layer: an unseeded random op inside call(), which JAX refuses to trace."""
import numpy as np
import keras
from keras import layers
from keras import ops


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(shape=ops.shape(mean))
        return mean + ops.exp(0.5 * log_var) * eps


enc_in = keras.Input(shape=(8,), name="enc_in")
h = layers.Dense(16, activation="relu", name="hidden")(enc_in)
mean = layers.Dense(2, name="mean")(h)
log_var = layers.Dense(2, name="log_var")(h)
encoder = keras.Model(enc_in, Sampling(name="sampling")([mean, log_var]), name="encoder")
decoder = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(8, name="recon")], name="decoder")
x = keras.Input(shape=(8,), name="x")
model = keras.Model(x, decoder(encoder(x)), name="vae")
model.compile(optimizer="adam", loss="mse")
data = np.random.rand(8, 8).astype("float32")
model.fit(data, data, epochs=1, batch_size=8, verbose=0)
