"""Fixed: the encoder model is called as a layer, h = encoder(inp), so its weights are tracked and trained."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(10,), name="features")
h = encoder(inp)
model = keras.Model(inp, layers.Dense(1, name="score")(h), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
