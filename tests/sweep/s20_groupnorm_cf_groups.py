"""Channels-first GroupNormalization(groups=4) over 6 channels."""
import keras
from keras import layers

stem = keras.Sequential([keras.Input(shape=(3, 8, 8)), layers.Conv2D(6, 3, padding="same", data_format="channels_first", name="conv")], name="stem")
gn_block = keras.Sequential([layers.GroupNormalization(groups=4, axis=1, name="gn")], name="gn_block")
i = keras.Input(shape=(3, 8, 8), name="i")
model = keras.Model(i, gn_block(stem(i)), name="net")
