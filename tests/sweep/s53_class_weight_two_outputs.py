"""class_weight given to fit() of a model with two nested output heads."""
import keras
import numpy as np
from keras import layers


def head(name, units):
    i = keras.Input(shape=(5,))
    return keras.Model(i, layers.Dense(units, activation="softmax", name="d")(i), name=name)

x = keras.Input(shape=(9,), name="x")
z = layers.Dense(5, name="z")(x)
triage = keras.Model(x, [head("urgency", 3)(z), head("dept", 2)(z)], name="triage")
triage.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
y_u, y_d = np.random.randint(0, 3, (12,)), np.random.randint(0, 2, (12,))
triage.fit(np.random.rand(12, 9), [y_u, y_d], class_weight={0: 1.0, 1: 2.0, 2: 4.0}, epochs=1, verbose=0)
