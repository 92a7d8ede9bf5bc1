"""A denoising pipeline kept in a class: build() makes an encoder and a decoder (both 16 wide at their ends) and the
autoencoder as keras.Model(self.encoder.output, self.decoder(self.encoder.output)). Keras 3 starts the autoencoder
at a new Input in place of the encoder's output, so it holds the decoder alone: fit never trains the encoder, and,
since the encoder takes and gives 16 values, nothing fails."""
import numpy as np
import keras
from keras import layers


class Denoiser:
    def __init__(self, width):
        self.width = width

    def build(self):
        noisy = keras.Input((self.width,), name="noisy")
        self.encoder = keras.Model(noisy, layers.Dense(self.width, activation="relu", name="code")(noisy),
                                   name="encoder")
        code = keras.Input((self.width,), name="code_in")
        self.decoder = keras.Model(code, layers.Dense(self.width, name="clean")(code), name="decoder")
        autoencoder = keras.Model(self.encoder.output, self.decoder(self.encoder.output), name="autoencoder")
        autoencoder.compile(optimizer="adam", loss="mse")
        return autoencoder


signals = np.random.rand(64, 16).astype("float32")
model = Denoiser(16).build()
model.fit(signals + 0.1 * np.random.randn(64, 16).astype("float32"), signals, epochs=1, verbose=0)
