"""VAE on small grayscale patches: the encoder returns a dict {"mu", "logvar"} and is unpacked like a tuple."""
import numpy as np
import keras
from keras import layers, ops


class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(7)

    def call(self, inputs):
        mu, logvar = inputs
        eps = keras.random.normal(ops.shape(mu), seed=self.seed_generator)
        return mu + ops.exp(0.5 * logvar) * eps


patch_in = keras.Input(shape=(64,), name="patch_in")
h = layers.Dense(32, activation="relu", name="enc_hidden")(patch_in)
encoder = keras.Model(
    patch_in,
    {"mu": layers.Dense(4, name="mu")(h), "logvar": layers.Dense(4, name="logvar")(h)},
    name="encoder",
)
decoder = keras.Sequential(
    [keras.Input(shape=(4,)), layers.Dense(32, activation="relu", name="dec_hidden"), layers.Dense(64, activation="sigmoid", name="recon")],
    name="decoder",
)

patch = keras.Input(shape=(64,), name="patch")
mu, logvar = encoder(patch)
z = Sampling(name="sample")([mu, logvar])
model = keras.Model(patch, decoder(z), name="vae")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 64).astype("float32")
model.fit(x, x, epochs=1, batch_size=len(x), verbose=0)
