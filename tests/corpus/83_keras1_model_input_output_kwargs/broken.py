"""Keras-1 fine-tuning recipe: the classifier around a nested backbone is built with Model(input=..., output=...)."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3)),
        layers.Conv2D(8, 3, activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
img = keras.Input(shape=(32, 32, 3), name="img")
x = layers.Dense(10, activation="softmax", name="probs")(backbone(img))
model = keras.Model(input=img, output=x, name="clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

xs = np.random.rand(4, 32, 32, 3).astype("float32")
ys = np.random.randint(0, 10, size=(4,))
model.fit(xs, ys, epochs=1, batch_size=4, verbose=0)
