"""Digits stored channels-first (1, 28, 28) go into a nested CNN backbone written for channels-last images."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        layers.Conv2D(16, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(32, 3, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)

digit = keras.Input(shape=(1, 28, 28), name="digit")
probs = layers.Dense(10, activation="softmax", name="probs")(backbone(digit))
model = keras.Model(digit, probs, name="digit_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 1, 28, 28).astype("float32")
y = np.random.randint(0, 10, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
