"""A backbone written for 224-pixel images ends in AveragePooling2D(7); on 32-pixel images its last map is 4x4 and the 7x7 window does not fit."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(None, None, 3), name="img")
f = img
for i, width in enumerate((8, 16, 32)):
    f = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu", name=f"conv{i + 1}")(f)
f = layers.AveragePooling2D(7, name="avg7")(f)
backbone = keras.Model(img, layers.Flatten(name="flat")(f), name="backbone")

image = keras.Input(shape=(32, 32, 3), name="image")
out = layers.Dense(4, activation="softmax", name="label")(backbone(image))
model = keras.Model(image, out, name="thumb_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 32, 32, 3).astype("float32")
y = np.random.randint(0, 4, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
