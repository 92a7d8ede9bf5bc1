"""Gesture clips: grayscale frames (time, height, width) go into a nested Conv3D encoder that needs a channel axis."""
import numpy as np
import keras
from keras import layers

clip_encoder = keras.Sequential(
    [
        layers.Conv3D(8, 3, padding="same", activation="relu", name="c3d1"),
        layers.MaxPooling3D(2, name="pool1"),
        layers.GlobalAveragePooling3D(name="gap"),
    ],
    name="clip_encoder",
)

clip = keras.Input(shape=(8, 32, 32), name="clip")
gesture = layers.Dense(5, activation="softmax", name="gesture")(clip_encoder(layers.Reshape((8, 32, 32, 1), name="add_channel")(clip)))
model = keras.Model(clip, gesture, name="gesture_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 8, 32, 32).astype("float32")
y = np.random.randint(0, 5, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
