"""Fixed: an instance of the optimizer class, optimizer=Adam()."""
import numpy as np
import keras
from keras import layers
from keras.optimizers import Adam

x = np.random.rand(8, 12, 12, 1).astype("float32")
y = np.random.randint(0, 2, size=(8, 12, 12, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12, 12, 1)), layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")], name="encoder")
inp = keras.Input(shape=(12, 12, 1), name="image")
model = keras.Model(inp, layers.Conv2D(1, 1, activation="sigmoid", name="mask")(encoder(inp)), name="segmenter")
model.compile(optimizer=Adam(), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
