"""CIFAR-style classifier: a Sequential backbone declared without an Input is used through backbone.input and
backbone.output to build a functional model; it has never been called, so it has no output."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        layers.Conv2D(16, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(name="pool1"),
        layers.Conv2D(32, 3, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
head = layers.Dense(10, activation="softmax", name="head")
model = keras.Model(backbone.input, head(backbone.output), name="cifar_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 32, 32, 3).astype("float32")
y = np.random.randint(0, 10, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
