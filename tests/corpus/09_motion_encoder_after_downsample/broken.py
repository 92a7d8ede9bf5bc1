"""Gesture recognition: an accelerometer encoder declared on 64-sample windows gets a 4x-downsampled 128-sample recording (32 samples)."""
import numpy as np
import keras
from keras import layers

samples = keras.Input(shape=(64, 3))
h = layers.Conv1D(16, 5, activation="relu", name="conv_a")(samples)
h = layers.Conv1D(16, 5, activation="relu", name="conv_b")(h)
motion_encoder = keras.Model(samples, layers.GlobalAveragePooling1D(name="pool")(h), name="motion_encoder")

recording = keras.Input(shape=(128, 3), name="recording")
coarse = layers.AveragePooling1D(4, name="downsample")(recording)
gesture = layers.Dense(6, activation="softmax", name="gesture")(motion_encoder(coarse))
model = keras.Model(recording, gesture, name="gesture_net")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 128, 3).astype("float32")
y = np.random.randint(0, 6, size=(8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
