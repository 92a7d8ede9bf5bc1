"""CenterCrop(4, 4) fed a flat (batch, 64) vector."""
import keras
from keras import layers

flat = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(64, name="proj")], name="flat")
crop_block = keras.Sequential([layers.CenterCrop(4, 4, name="crop")], name="crop_block")
i = keras.Input(shape=(10,), name="i")
model = keras.Model(i, crop_block(flat(i)), name="net")
