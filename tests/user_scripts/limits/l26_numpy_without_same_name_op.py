"""Limit 4 (round 4): a nested pose model turns its (sin, cos) head into an angle in degrees with a named def that
calls np.degrees and np.arctan2; keras.ops has arctan2 but no function named degrees."""
import numpy as np
import keras
from keras import layers


def to_degrees(pair):
    return np.degrees(np.arctan2(pair[:, :1], pair[:, 1:]))


i = keras.Input((16,), name="features")
h = layers.Dense(8, activation="relu", name="trunk")(i)
pair = layers.Dense(2, activation="tanh", name="sin_cos")(h)
head = keras.Model(i, layers.Lambda(to_degrees, name="angle")(pair), name="heading_head")
j = keras.Input((16,), name="x")
model = keras.Model(j, head(j), name="pose")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 16), np.random.rand(32, 1) * 90.0, epochs=1, verbose=0)
