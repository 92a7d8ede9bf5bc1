"""Conv autoencoder: the encoder ends in Flatten, the decoder starts with Conv2DTranspose."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential(
    [
        keras.Input(shape=(28, 28, 1), name="digit"),
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv2"),
        layers.Flatten(name="code"),
    ],
    name="encoder",
)

decoder = keras.Sequential(
    [
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu", name="deconv1"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="deconv2"),
    ],
    name="decoder",
)

digit = keras.Input(shape=(28, 28, 1), name="noisy")
model = keras.Model(digit, decoder(encoder(digit)), name="autoencoder")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 28, 28, 1).astype("float32")
model.fit(x, x, epochs=1, batch_size=len(x), verbose=0)
