"""Fault detection on vibration signals: tap an inner block of a trained CNN with get_output_at(0) (Keras 2 API)."""
import numpy as np
import keras
from keras import layers

signal_in = keras.Input(shape=(64, 1), name="signal_in")
h = layers.Conv1D(8, 5, activation="relu", name="block1")(signal_in)
h = layers.Conv1D(16, 5, activation="relu", name="block2")(h)
out = layers.Dense(2, activation="softmax", name="fault")(layers.GlobalMaxPooling1D(name="gmp")(h))
cnn = keras.Model(signal_in, out, name="cnn")

taps = keras.Model(cnn.input, cnn.get_layer("block2").output, name="taps")
model = keras.Sequential([taps, layers.GlobalAveragePooling1D(name="gap"), layers.Dense(1, name="severity")], name="severity_model")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 64, 1).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
