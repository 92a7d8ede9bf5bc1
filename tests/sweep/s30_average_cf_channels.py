"""Average of channels-first maps with 6 and 5 channels."""
import keras
from keras import layers

six = keras.Sequential([keras.Input(shape=(2, 4, 4)), layers.Conv2D(6, 1, data_format="channels_first", name="c6")], name="six")
five = keras.Sequential([keras.Input(shape=(2, 4, 4)), layers.Conv2D(5, 1, data_format="channels_first", name="c5")], name="five")
i = keras.Input(shape=(2, 4, 4), name="i")
model = keras.Model(i, layers.Average(name="avg")([six(i), five(i)]), name="net")
