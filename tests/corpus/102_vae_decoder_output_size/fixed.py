"""Fixed: Cropping2D(2) trims the 32x32 output to the 28x28 images."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(28, 28, 1), name="img")
h = layers.Conv2D(8, 3, strides=2, padding="same", name="enc_conv")(img)
encoder = keras.Model(img, layers.Dense(16, name="code")(layers.Flatten(name="flat")(h)), name="encoder")

code = keras.Input(shape=(16,), name="code_in")
d = layers.Reshape((4, 4, 1), name="unflatten")(code)
d = layers.Conv2DTranspose(8, 3, strides=2, padding="same", name="up1")(d)
d = layers.Conv2DTranspose(8, 3, strides=2, padding="same", name="up2")(d)
d = layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="up3")(d)
d = layers.Cropping2D(2, name="crop")(d)
decoder = keras.Model(code, d, name="decoder")

image = keras.Input(shape=(28, 28, 1), name="image")
model = keras.Model(image, decoder(encoder(image)), name="vae")
model.compile(optimizer="adam", loss="binary_crossentropy")
x = np.random.rand(4, 28, 28, 1).astype("float32")
model.fit(x, x, epochs=1, batch_size=4, verbose=0)
