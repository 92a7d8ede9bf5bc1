"""A VAE whose encoder and decoder are models of their own, fed by a tf.data pipeline."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

LATENT = 2
tf.random.set_seed(42)


class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z."""

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(keras.ops.shape(z_mean))
        return z_mean + keras.ops.exp(0.5 * z_log_var) * eps


encoder_inputs = keras.Input(shape=(28, 28, 1), name="image")
x = layers.Conv2D(8, 3, activation="relu", strides=2, padding="same", name="conv")(encoder_inputs)
x = layers.Flatten(name="flatten")(x)
x = layers.Dense(16, activation="relu", name="hidden")(x)
z_mean = layers.Dense(LATENT, name="z_mean")(x)
z_log_var = layers.Dense(LATENT, name="z_log_var")(x)
z = Sampling(name="sampling")([z_mean, z_log_var])
encoder = keras.Model(encoder_inputs, [z_mean, z_log_var, z], name="encoder")

latent_inputs = keras.Input(shape=(LATENT,), name="z")
x = layers.Dense(14 * 14 * 8, activation="relu", name="expand")(latent_inputs)
x = layers.Reshape((14, 14, 8), name="unflatten")(x)
decoder_outputs = layers.Conv2DTranspose(1, 3, strides=2, activation="sigmoid", padding="same", name="deconv")(x)
decoder = keras.Model(latent_inputs, decoder_outputs, name="decoder")

images = keras.Input(shape=(28, 28, 1), name="images")
reconstruction = decoder(encoder(images)[2])
vae = keras.Model(images, reconstruction, name="vae")
vae.compile(optimizer="adam", loss="binary_crossentropy")

data = np.random.rand(4096, 28, 28, 1).astype("float32")
dataset = tf.data.Dataset.from_tensor_slices((data, data)).shuffle(1024).batch(64).prefetch(tf.data.AUTOTUNE)
vae.fit(dataset, epochs=30)
