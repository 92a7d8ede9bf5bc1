"""Tabular sensor features: a Dense embedder, then a Conv1D head that scans the embedding."""
import numpy as np
import keras
from keras import layers

embedder = keras.Sequential(
    [
        keras.Input(shape=(11,), name="readings"),
        layers.Dense(32, activation="relu", name="proj"),
    ],
    name="embedder",
)

spectral_head = keras.Sequential(
    [
        layers.Reshape((32, 1)),
        layers.Conv1D(8, 3, activation="relu", name="conv1d"),
        layers.GlobalMaxPooling1D(name="gmp"),
        layers.Dense(1, activation="sigmoid", name="fault"),
    ],
    name="spectral_head",
)

readings = keras.Input(shape=(11,), name="sensor_row")
model = keras.Model(readings, spectral_head(embedder(readings)), name="fault_detector")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 11).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
