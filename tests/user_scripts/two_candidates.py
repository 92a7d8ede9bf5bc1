"""Two independent models in one file, a baseline and a better one: neither is called `model`."""
import keras
from keras import layers

trunk = keras.Sequential([keras.Input((10,)), layers.Dense(8, activation="relu", name="fc")], name="trunk")
x = keras.Input((10,), name="x")
baseline = keras.Model(x, layers.Dense(1, name="out")(x), name="baseline")
improved = keras.Model(x, layers.Dense(1, name="out2")(trunk(x)), name="improved")
