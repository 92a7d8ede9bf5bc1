"""evaluate() of a two-output model given the labels of its two heads in the wrong order."""
import keras
import numpy as np
from keras import layers


def head(name, units):
    i = keras.Input(shape=(6,))
    return keras.Model(i, layers.Dense(units, name="d")(i), name=name)

x = keras.Input(shape=(12,), name="x")
z = layers.Dense(6, name="z")(x)
pose = keras.Model(x, [head("joints", 34)(z), head("visible", 17)(z)], name="pose")
pose.compile(optimizer="adam", loss="mse")
y_joints, y_visible = np.random.rand(5, 34), np.random.rand(5, 17)
pose.evaluate(np.random.rand(5, 12), [y_visible, y_joints], verbose=0)
