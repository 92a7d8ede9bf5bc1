"""Concatenate(axis=1) of channels-first maps of 9x9 and 7x7."""
import keras
from keras import layers

a_branch = keras.Sequential([keras.Input(shape=(4, 9, 9)), layers.Conv2D(4, 3, padding="same", data_format="channels_first", name="ca")], name="a_branch")
b_branch = keras.Sequential([keras.Input(shape=(4, 9, 9)), layers.Conv2D(4, 3, data_format="channels_first", name="cb")], name="b_branch")
i = keras.Input(shape=(4, 9, 9), name="i")
model = keras.Model(i, layers.Concatenate(axis=1, name="join")([a_branch(i), b_branch(i)]), name="net")
