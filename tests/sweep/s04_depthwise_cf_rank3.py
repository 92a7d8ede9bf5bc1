"""Channels-first DepthwiseConv2D fed (batch, 6, 10) rows with no channel axis."""
import keras
from keras import layers

rows = keras.Sequential([keras.Input(shape=(6, 10)), layers.Dense(10, name="mix")], name="rows")
dw_block = keras.Sequential([layers.DepthwiseConv2D(3, padding="same", data_format="channels_first", name="dw")], name="dw_block")
r = keras.Input(shape=(6, 10), name="r")
model = keras.Model(r, dw_block(rows(r)), name="net")
