"""Fixed: the preprocessing layers live in keras.layers."""
import numpy as np
import keras
from keras import layers

augment = keras.Sequential(
    [
        keras.Input(shape=(16, 16, 3)),
        layers.RandomFlip("horizontal", name="flip"),
        layers.RandomRotation(0.1, name="rotate"),
    ],
    name="augment",
)
backbone = keras.Sequential(
    [keras.Input(shape=(16, 16, 3)), layers.Conv2D(8, 3, name="conv"), layers.GlobalAveragePooling2D(name="gap")],
    name="backbone",
)
image = keras.Input(shape=(16, 16, 3), name="image")
out = layers.Dense(4, activation="softmax", name="label")(backbone(augment(image)))
model = keras.Model(image, out, name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 16, 16, 3), np.random.randint(0, 4, size=(8,)), epochs=1, batch_size=8, verbose=0)
