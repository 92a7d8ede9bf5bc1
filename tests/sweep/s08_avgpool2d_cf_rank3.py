"""Channels-first AveragePooling2D fed (batch, 12, 10) bands with no channel axis."""
import keras
from keras import layers

bands = keras.Sequential([keras.Input(shape=(12, 10)), layers.Dense(10, name="mix")], name="bands")
pool_block = keras.Sequential([layers.AveragePooling2D(2, data_format="channels_first", name="avg")], name="pool_block")
b = keras.Input(shape=(12, 10), name="b")
model = keras.Model(b, pool_block(bands(b)), name="net")
