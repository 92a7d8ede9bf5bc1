"""A fully convolutional backbone accepts images of any size (None, None, 3); the head Flattens its map before a Dense."""
import numpy as np
import keras
from keras import layers

pixels = keras.Input(shape=(None, None, 3), name="pixels")
f = layers.Conv2D(12, 3, padding="same", activation="relu", name="conv_a")(pixels)
f = layers.MaxPooling2D(2, name="pool_a")(f)
f = layers.Conv2D(24, 3, padding="same", activation="relu", name="conv_b")(f)
backbone = keras.Model(pixels, f, name="backbone")

head = keras.Sequential([layers.GlobalAveragePooling2D(), layers.Dense(5, activation="softmax", name="fc")], name="head")

photo = keras.Input(shape=(None, None, 3), name="photo")
model = keras.Model(photo, head(backbone(photo)), name="any_size_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 48, 48, 3).astype("float32")
y = np.random.randint(0, 5, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
