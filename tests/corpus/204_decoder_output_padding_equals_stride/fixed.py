"""Fixed: output_padding=1 (below the stride 2); 14x14 -> 28x28 as meant."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 28, 28, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(28, 28, 1)),
                            layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="down1"),
                            layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="down2")],
                           name="encoder")
decoder = keras.Sequential([keras.Input(shape=(7, 7, 16)),
                            layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu", name="up1"),
                            layers.Conv2DTranspose(1, 3, strides=2, padding="same", output_padding=1,
                                                   activation="sigmoid", name="up2")],
                           name="decoder")
images = keras.Input(shape=(28, 28, 1), name="images")
model = keras.Model(images, decoder(encoder(images)), name="autoencoder")
model.compile(optimizer="adam", loss="mse")
model.fit(x, x, epochs=1, batch_size=len(x), verbose=0)
