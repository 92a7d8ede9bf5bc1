"""AdditiveAttention aligner built for 12-wide keys gets a 10-wide value tower."""
import keras
from keras import layers

q_in, v_in = keras.Input(shape=(6, 12)), keras.Input(shape=(9, 12))
aligner = keras.Model([q_in, v_in], layers.AdditiveAttention(name="align")([q_in, v_in]), name="aligner")
dec = keras.Sequential([keras.Input(shape=(6, 3)), layers.Dense(12, name="dp")], name="dec")
enc = keras.Sequential([keras.Input(shape=(9, 3)), layers.Dense(10, name="ep")], name="enc")
a, b = keras.Input(shape=(6, 3), name="a"), keras.Input(shape=(9, 3), name="b")
model = keras.Model([a, b], aligner([dec(a), enc(b)]), name="net")
