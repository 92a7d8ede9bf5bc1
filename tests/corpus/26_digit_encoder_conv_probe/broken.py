"""Digit classifier with a nested encoder: a probe model asks for the encoder's conv2 activation through
get_layer('encoder').get_layer('conv2').output, which belongs to the encoder's own graph."""
import numpy as np
import keras
from keras import layers

pixels = keras.Input(shape=(28, 28, 1), name="pixels")
x = layers.Conv2D(8, 3, activation="relu", name="conv1")(pixels)
x = layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2")(x)
x = layers.GlobalAveragePooling2D(name="gap")(x)
encoder = keras.Model(pixels, x, name="encoder")

image = keras.Input(shape=(28, 28, 1), name="image")
model = keras.Model(image, layers.Dense(10, activation="softmax", name="digits")(encoder(image)), name="digit_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x_train = np.random.rand(8, 28, 28, 1).astype("float32")
y_train = np.random.randint(0, 10, (8,))
model.fit(x_train, y_train, epochs=1, batch_size=len(x_train), verbose=0)

probe = keras.Model(model.input, model.get_layer("encoder").get_layer("conv2").output, name="probe")
feature_maps = probe.predict(x_train, verbose=0)
