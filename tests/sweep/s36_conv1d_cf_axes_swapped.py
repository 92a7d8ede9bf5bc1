"""A pre-built channels-first Conv1D scanner for (4 channels, 50 steps) gets (50, 4)."""
import keras
from keras import layers

c_in = keras.Input(shape=(4, 50))
scanner = keras.Model(c_in, layers.Conv1D(8, 3, data_format="channels_first", name="conv")(c_in), name="scanner")
front = keras.Sequential([keras.Input(shape=(50, 2)), layers.Dense(4, name="mix")], name="front")
i = keras.Input(shape=(50, 2), name="i")
model = keras.Model(i, scanner(front(i)), name="net")
