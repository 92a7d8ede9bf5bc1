"""A sensor encoder swaps its steps and channels axes before a Conv1D with Permute((0, 2, 1)), counting the batch
axis as NumPy's transpose does; Keras' Permute leaves the batch axis out and counts from 1."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6, 4).astype("float32")
y = np.random.rand(8, 1).astype("float32")
frames = keras.Input(shape=(6, 4), name="frames")
t = layers.Permute((0, 2, 1), name="swap")(frames)
t = layers.Conv1D(3, 2, activation="relu", name="conv")(t)
encoder = keras.Model(frames, layers.GlobalAveragePooling1D(name="pool")(t), name="encoder")
inp = keras.Input(shape=(6, 4), name="readings")
model = keras.Model(inp, layers.Dense(1, name="level")(encoder(inp)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
