"""Keras-2 style GAN loop: compile the discriminator, set discriminator.trainable = False, build and compile the
combined GAN. The loop sets discriminator.trainable = True around the discriminator's own step and False
around the GAN's step, so each model trains what it should (fixed)."""
import numpy as np
import keras
from keras import layers

generator = keras.Sequential(
    [keras.Input(shape=(8,), name="noise"), layers.Dense(16, activation="relu", name="g_hidden"),
     layers.Dense(2, name="g_out")],
    name="generator",
)
discriminator = keras.Sequential(
    [keras.Input(shape=(2,), name="point"), layers.Dense(16, activation="relu", name="d_hidden"),
     layers.Dense(1, activation="sigmoid", name="d_out")],
    name="discriminator",
)
discriminator.compile(optimizer="adam", loss="binary_crossentropy")
discriminator.trainable = False

z = keras.Input(shape=(8,), name="z")
model = keras.Model(z, discriminator(generator(z)), name="gan")
model.compile(optimizer="adam", loss="binary_crossentropy")

real = np.random.randn(8, 2).astype("float32") + 3.0
noise = np.random.randn(8, 8).astype("float32")
before = [np.array(w) for w in discriminator.weights]
for step in range(2):
    fake = generator.predict(noise, verbose=0)
    discriminator.trainable = True
    discriminator.train_on_batch(np.concatenate([real, fake]), np.concatenate([np.ones((8, 1)), np.zeros((8, 1))]))
    discriminator.trainable = False
    model.train_on_batch(noise, np.ones((8, 1)))
assert max(float(np.abs(np.array(w) - b).max()) for w, b in zip(discriminator.weights, before)) > 0.0
