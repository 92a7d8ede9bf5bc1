"""Multiply of a 10-step and a 12-step sequence."""
import keras
from keras import layers

gate = keras.Sequential([keras.Input(shape=(12, 8)), layers.Conv1D(8, 3, name="g")], name="gate")
feat = keras.Sequential([keras.Input(shape=(12, 8)), layers.Dense(8, name="f")], name="feat")
i = keras.Input(shape=(12, 8), name="i")
model = keras.Model(i, layers.Multiply(name="gated")([gate(i), feat(i)]), name="net")
