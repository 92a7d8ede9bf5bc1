"""Limit 4 (round 7): a nested audio encoder scales the clips by their peak with a Lambda, but ops.max has no axis:
the peak is the whole batch's, so a clip's features depend on the loudest clip it is batched with, and predict on one
clip differs from predict on the same clip among 32. Nothing fails."""
import numpy as np
import keras
from keras import layers, ops

rng = np.random.default_rng(7)
clips = (rng.normal(size=(64, 20, 8)) * rng.uniform(0.1, 5.0, size=(64, 1, 1))).astype("float32")
genres = rng.integers(0, 4, size=(64,))

frames = keras.Input((20, 8), name="frames")
h = layers.Lambda(lambda t: t / ops.max(ops.abs(t)), name="peak_norm")(frames)
h = layers.Conv1D(16, 3, activation="relu", name="conv")(h)
encoder = keras.Model(frames, layers.GlobalAveragePooling1D(name="pool")(h), name="audio_encoder")

clip = keras.Input((20, 8), name="clip")
genre_model = keras.Model(clip, layers.Dense(4, activation="softmax", name="genre")(encoder(clip)), name="genre_model")
genre_model.compile("adam", "sparse_categorical_crossentropy")
genre_model.fit(clips, genres, batch_size=32, epochs=1, verbose=0)
