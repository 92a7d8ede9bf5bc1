"""A subclassed GAN overrides compile() to take two optimizers and never calls Model.compile."""
import numpy as np
import keras
from keras import layers, ops


class GAN(keras.Model):
    def __init__(self, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.generator = keras.Sequential([keras.Input(shape=(latent_dim,)), layers.Dense(6, name="g_out")], name="generator")
        self.discriminator = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(1, name="d_out")], name="discriminator")

    def compile(self, d_optimizer, g_optimizer):
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    def call(self, images):
        return self.discriminator(images)

    def train_step(self, data):
        real = data[0] if isinstance(data, (tuple, list)) else data
        return {"d_loss": ops.mean(self.discriminator(real))}


model = GAN(latent_dim=4, name="gan")
model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
model.fit(np.random.rand(8, 6).astype("float32"), epochs=1, batch_size=4, verbose=0)
