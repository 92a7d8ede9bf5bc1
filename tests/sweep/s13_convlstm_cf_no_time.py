"""Channels-first ConvLSTM2D fed one (batch, 2, 8, 8) map with no time axis."""
import keras
from keras import layers

field = keras.Sequential([keras.Input(shape=(2, 8, 8)), layers.Conv2D(2, 3, padding="same", data_format="channels_first", name="conv")], name="field")
forecaster = keras.Sequential([layers.ConvLSTM2D(4, 3, padding="same", data_format="channels_first", name="cell")], name="forecaster")
m = keras.Input(shape=(2, 8, 8), name="m")
model = keras.Model(m, forecaster(field(m)), name="net")
