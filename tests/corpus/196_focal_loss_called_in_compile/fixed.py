"""Fixed: the loss class takes the parameter and is called by Keras, loss=keras.losses.BinaryFocalCrossentropy(gamma=2.0)."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
extractor = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(12, activation="relu", name="hidden")],
                             name="extractor")
inp = keras.Input(shape=(10,), name="sensor")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="defect")(extractor(inp)), name="detector")
model.compile(optimizer="adam", loss=keras.losses.BinaryFocalCrossentropy(gamma=2.0))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
