"""Limit 3 (round 6): variable-length sensor sequences padded with zeros; the outer model masks the padding with
Masking(mask_value=0.0), but the nested feature extractor starts with a Conv1D, which ignores masks: the padded
steps are convolved and pooled as if they were readings."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(1)
readings = rng.normal(size=(48, 30, 6)).astype("float32")
for row, length in enumerate(rng.integers(10, 31, size=48)):
    readings[row, length:] = 0.0
faulty = rng.integers(0, 2, size=(48, 1)).astype("float32")

steps = keras.Input((30, 6), name="steps")
h = layers.Conv1D(16, 5, padding="same", activation="relu", name="conv")(steps)
h = layers.GlobalAveragePooling1D(name="pool")(h)
extractor = keras.Model(steps, h, name="feature_extractor")

series = keras.Input((30, 6), name="series")
masked = layers.Masking(mask_value=0.0, name="pad_mask")(series)
monitor = keras.Model(series, layers.Dense(1, activation="sigmoid", name="fault")(extractor(masked)), name="monitor")
monitor.compile("adam", "binary_crossentropy")
monitor.fit(readings, faulty, batch_size=16, epochs=1, verbose=0)
