"""A GAN whose combined model starts at the generator's OUTPUT tensor: keras.Model(generator.output, ...) makes a
new Input there, so `gan` holds the discriminator alone and fit never trains the generator (silent here: the
latent code and the sample have the same size)."""
import numpy as np
import keras
from keras import layers

LATENT = 24


def make_generator():
    z = keras.Input((LATENT,), name="z")
    h = layers.Dense(48, activation="relu")(z)
    return keras.Model(z, layers.Dense(24, activation="tanh")(h), name="generator")


def make_discriminator():
    sample = keras.Input((24,), name="sample")
    h = layers.Dense(32, activation="relu")(sample)
    return keras.Model(sample, layers.Dense(1, activation="sigmoid")(h), name="discriminator")


generator = make_generator()
discriminator = make_discriminator()

discriminator.trainable = False
gan = keras.Model(generator.output, discriminator(generator.output), name="gan")
gan.compile(optimizer="adam", loss="binary_crossentropy")

noise = np.random.normal(size=(64, LATENT)).astype("float32")
gan.fit(noise, np.ones((64, 1), "float32"), epochs=1, batch_size=16, verbose=0)
