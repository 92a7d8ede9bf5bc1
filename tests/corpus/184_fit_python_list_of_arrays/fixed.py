"""Fixed: the list of frames is stacked into one array of 8 samples, np.stack(frames)."""
import numpy as np
import keras
from keras import layers

frames = [np.random.rand(6, 4).astype("float32") for _ in range(8)]
labels = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6, 4)), layers.Flatten(name="flat"), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(6, 4), name="frames")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="event")(encoder(inp)), name="detector")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.stack(frames), labels, epochs=1, batch_size=8, verbose=0)
