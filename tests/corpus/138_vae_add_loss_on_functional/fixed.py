"""Fixed: a layer adds the KL term from its own call, on the nested encoder's outputs."""
import numpy as np
import keras
from keras import layers, ops


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_gen = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        mean, log_var = inputs
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_gen)
        return mean + ops.exp(0.5 * log_var) * eps


class KLDivergence(layers.Layer):
    def call(self, inputs):
        z_mean, z_log_var, z = inputs
        self.add_loss(-0.5 * ops.mean(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var)))
        return z


pix = keras.Input(shape=(16,), name="pix")
h = layers.Dense(8, activation="relu", name="enc_hidden")(pix)
mean = layers.Dense(2, name="mean")(h)
log_var = layers.Dense(2, name="log_var")(h)
encoder = keras.Model(pix, [mean, log_var, Sampling(name="sampling")([mean, log_var])], name="encoder")
code = keras.Input(shape=(2,), name="code")
decoder = keras.Model(code, layers.Dense(16, activation="sigmoid", name="recon")(code), name="decoder")

x_in = keras.Input(shape=(16,), name="x_in")
z_mean, z_log_var, z = encoder(x_in)
z = KLDivergence(name="kl")([z_mean, z_log_var, z])
vae = keras.Model(x_in, decoder(z), name="vae")
vae.compile(optimizer="adam", loss="binary_crossentropy")
x = np.random.rand(8, 16).astype("float32")
vae.fit(x, x, epochs=1, batch_size=8, verbose=0)
