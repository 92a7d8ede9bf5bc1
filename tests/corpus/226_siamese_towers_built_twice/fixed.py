"""Fixed: one encoder is built and called on both inputs, so both sides share its weights."""
import numpy as np
import keras
from keras import layers, ops

a = np.random.rand(8, 6).astype("float32")
b = np.random.rand(8, 6).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")


def make_encoder(name):
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")], name=name)


left = keras.Input(shape=(6,), name="left")
right = keras.Input(shape=(6,), name="right")
encoder = make_encoder("encoder")
va = encoder(left)
vb = encoder(right)
distance = layers.Lambda(lambda t: ops.abs(t[0] - t[1]), name="distance")([va, vb])
model = keras.Model([left, right], layers.Dense(1, activation="sigmoid", name="same")(distance), name="siamese")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([a, b], y, epochs=1, batch_size=len(a), verbose=0)
