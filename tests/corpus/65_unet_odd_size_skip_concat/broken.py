"""Segmentation U-Net on 30x30 tiles: the nested encoder returns its skip (15x15), the decoder upsamples 7x7 to 14x14 and concatenates."""
import numpy as np
import keras
from keras import layers

tile_in = keras.Input(shape=(30, 30, 1), name="tile_in")
skip = layers.Conv2D(16, 3, padding="same", activation="relu", name="enc_conv1")(
    layers.MaxPooling2D(2, name="down1")(tile_in)
)
deep = layers.Conv2D(32, 3, padding="same", activation="relu", name="enc_conv2")(
    layers.MaxPooling2D(2, name="down2")(skip)
)
encoder = keras.Model(tile_in, [skip, deep], name="encoder")

tile = keras.Input(shape=(30, 30, 1), name="tile")
skip_out, deep_out = encoder(tile)
up = layers.Conv2DTranspose(16, 2, strides=2, name="up1")(deep_out)
merged = layers.Concatenate(name="merge1")([up, skip_out])
mask = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(layers.UpSampling2D(2, name="up2")(merged))
model = keras.Model(tile, mask, name="unet")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(4, 30, 30, 1).astype("float32")
model.fit(x, (x > 0.5).astype("float32"), epochs=1, batch_size=len(x), verbose=0)
