"""Texture classifier: the Dense(10) head is put on the nested conv backbone's 4-D map, so it predicts per pixel; labels are one row per image."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(16, 16, 3), name="img")
f = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1")(img)
f = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv2")(f)
backbone = keras.Model(img, f, name="backbone")

image = keras.Input(shape=(16, 16, 3), name="image")
out = layers.Dense(10, activation="softmax", name="classes")(backbone(image))
model = keras.Model(image, out, name="texture_clf")
model.compile(optimizer="adam", loss="categorical_crossentropy")

x = np.random.rand(4, 16, 16, 3).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, size=(4,)), 10)
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
