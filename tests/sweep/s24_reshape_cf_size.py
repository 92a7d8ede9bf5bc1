"""Reshape((3, 50)) on a channels-first (batch, 3, 10, 10) map."""
import keras
from keras import layers

stem = keras.Sequential([keras.Input(shape=(3, 10, 10)), layers.Conv2D(3, 3, padding="same", data_format="channels_first", name="conv")], name="stem")
folder = keras.Sequential([layers.Reshape((3, 50), name="fold"), layers.LSTM(4)], name="folder")
i = keras.Input(shape=(3, 10, 10), name="i")
model = keras.Model(i, folder(stem(i)), name="net")
