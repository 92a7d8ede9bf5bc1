"""Sketch autoencoder: the decoder un-flattens the 128-wide code with Reshape((4, 4, 16)), which needs 256 values."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential(
    [
        keras.Input(shape=(16, 16, 1), name="sketch_in"),
        layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="enc_conv"),
        layers.Flatten(name="flat"),
        layers.Dense(128, activation="relu", name="code"),
    ],
    name="encoder",
)

decoder = keras.Sequential(
    [
        layers.Reshape((4, 4, 8), name="unflatten"),
        layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu", name="dec_up1"),
        layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", name="dec_up2"),
    ],
    name="decoder",
)

sketch = keras.Input(shape=(16, 16, 1), name="sketch")
model = keras.Model(sketch, decoder(encoder(sketch)), name="sketch_ae")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 16, 16, 1).astype("float32")
model.fit(x, x, epochs=1, batch_size=len(x), verbose=0)
