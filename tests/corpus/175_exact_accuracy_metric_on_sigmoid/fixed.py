"""Fixed: BinaryAccuracy thresholds the probabilities at 0.5."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(12,), name="words")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="spam")(encoder(inp)), name="filter")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[keras.metrics.BinaryAccuracy()])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
