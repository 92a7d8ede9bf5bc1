"""Conv2DTranspose upsampler fed a rank-5 (batch, 5, 5, 4, 2) tile grid."""
import keras
from keras import layers

tiles = keras.Sequential([keras.Input(shape=(5, 5, 4, 3)), layers.Dense(2, name="squeeze_feat")], name="tiles")
upsampler = keras.Sequential([layers.Conv2DTranspose(3, 3, strides=2, name="up")], name="upsampler")
t = keras.Input(shape=(5, 5, 4, 3), name="t")
model = keras.Model(t, upsampler(tiles(t)), name="net")
