"""Conv1D with kernel 7 (valid padding) over a 4-step sequence."""
import keras
from keras import layers

short_seq = keras.Sequential([keras.Input(shape=(4, 16)), layers.Dense(16, name="mix")], name="short_seq")
long_conv = keras.Sequential([layers.Conv1D(8, 7, name="wide_kernel")], name="long_conv")
q = keras.Input(shape=(4, 16), name="q")
model = keras.Model(q, long_conv(short_seq(q)), name="net")
