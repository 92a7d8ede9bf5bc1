"""SeparableConv2D block fed a (batch, 20, 12) spectrogram without a channel axis."""
import keras
from keras import layers

spectro = keras.Sequential([keras.Input(shape=(20, 12)), layers.Dense(12, name="mix")], name="spectro")
sep_block = keras.Sequential([layers.SeparableConv2D(8, 3, name="sep_conv"), layers.GlobalAveragePooling2D()], name="sep_block")
s = keras.Input(shape=(20, 12), name="s")
model = keras.Model(s, sep_block(spectro(s)), name="net")
