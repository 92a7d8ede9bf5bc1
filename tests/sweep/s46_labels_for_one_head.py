"""A two-output model (species and age heads, nested) is fit with only the species labels."""
import keras
import numpy as np
from keras import layers


def head(name, units, act):
    i = keras.Input(shape=(8,))
    return keras.Model(i, layers.Dense(units, activation=act, name="d")(i), name=name)

x = keras.Input(shape=(13,), name="traits")
z = layers.Dense(8, name="body")(x)
zoo = keras.Model(x, [head("species", 4, "softmax")(z), head("age", 1, None)(z)], name="zoo")
zoo.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
y_species = np.random.randint(0, 4, (12, 1))
zoo.fit(np.random.rand(12, 13), y_species, epochs=1, verbose=0)
