"""Image decoder: a Lambda with keras.ops.reshape turns the nested encoder's 64-wide code into (batch, 8, 8) for a Conv2D decoder."""
import numpy as np
import keras
from keras import layers

x_in = keras.Input(shape=(16,), name="x_in")
encoder = keras.Model(x_in, layers.Dense(64, activation="relu", name="code")(x_in), name="encoder")

decoder = keras.Sequential(
    [
        layers.Conv2D(4, 3, padding="same", activation="relu", name="dec_conv"),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid", name="pixels"),
    ],
    name="decoder",
)

vec = keras.Input(shape=(16,), name="vec")
grid = layers.Reshape((8, 8, 1), name="to_grid")(encoder(vec))
model = keras.Model(vec, decoder(grid), name="vec2img")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 16).astype("float32")
y = np.random.rand(4, 8, 8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
