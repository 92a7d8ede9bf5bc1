"""Channels-first Conv3D given a (batch, 4, 16, 16) volume with no channel axis."""
import keras
from keras import layers

slicer = keras.Sequential([keras.Input(shape=(64,)), layers.Dense(4 * 16 * 16), layers.Reshape((4, 16, 16), name="to_volume")], name="slicer")
volume_net = keras.Sequential([layers.Conv3D(4, 3, padding="same", data_format="channels_first", name="vol_conv")], name="volume_net")
code = keras.Input(shape=(64,), name="code")
model = keras.Model(code, volume_net(slicer(code)), name="net")
