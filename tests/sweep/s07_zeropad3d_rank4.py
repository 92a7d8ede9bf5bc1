"""ZeroPadding3D fed a (batch, 8, 8, 8) cube with no channel axis."""
import keras
from keras import layers

cube = keras.Sequential([keras.Input(shape=(8, 8, 8)), layers.Dense(8, name="mix")], name="cube")
pad_block = keras.Sequential([layers.ZeroPadding3D(1, name="pad3d"), layers.Conv3D(2, 3, name="c3")], name="pad_block")
c = keras.Input(shape=(8, 8, 8), name="c")
model = keras.Model(c, pad_block(cube(c)), name="net")
