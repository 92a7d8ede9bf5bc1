"""(silent) A spam classifier (sigmoid Dense(1) on a nested encoder) is compiled with metrics=[keras.metrics.Accuracy()]:
that class counts exact equality of the 0/1 labels with the probabilities, so it reads 0 every epoch."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(12,), name="words")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="spam")(encoder(inp)), name="filter")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=[keras.metrics.Accuracy()])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
