"""A small GAN in the style of many StackOverflow questions: generator, discriminator, the combined model,
and a hand-written training loop that runs at import."""
import keras
import numpy as np
from keras import layers

latent_dim = 8

generator = keras.Sequential(
    [keras.Input((latent_dim,)), layers.Dense(16, activation="relu", name="g_fc"), layers.Dense(4, name="g_out")],
    name="generator",
)
discriminator = keras.Sequential(
    [keras.Input((4,)), layers.Dense(16, activation="relu", name="d_fc"), layers.Dense(1, activation="sigmoid",
                                                                                     name="d_out")],
    name="discriminator",
)
discriminator.compile(loss="binary_crossentropy", optimizer="adam")
discriminator.trainable = False
z = keras.Input((latent_dim,), name="z")
gan = keras.Model(z, discriminator(generator(z)), name="gan")
gan.compile(loss="binary_crossentropy", optimizer="adam")

real = np.random.normal(size=(10000, 4)).astype("float32")
for epoch in range(100000):
    idx = np.random.randint(0, real.shape[0], 32)
    noise = np.random.normal(size=(32, latent_dim))
    fake = generator.predict(noise, verbose=0)
    d_loss = discriminator.train_on_batch(np.concatenate([real[idx], fake]), np.r_[np.ones(32), np.zeros(32)])
    g_loss = gan.train_on_batch(noise, np.ones(32))
    if epoch % 1000 == 0:
        print(epoch, d_loss, g_loss)
