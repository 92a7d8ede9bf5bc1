"""Add of a 24-wide and a 16-wide tower."""
import keras
from keras import layers

wide = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(24, name="w")], name="wide")
narrow = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(16, name="n")], name="narrow")
i = keras.Input(shape=(5,), name="i")
model = keras.Model(i, layers.Add(name="sum")([wide(i), narrow(i)]), name="net")
