"""Attention matcher built for 16-wide values gets an 8-wide value tower."""
import keras
from keras import layers

q_in, v_in = keras.Input(shape=(5, 16)), keras.Input(shape=(7, 16))
matcher = keras.Model([q_in, v_in], layers.Attention(name="attend")([q_in, v_in]), name="matcher")
q_enc = keras.Sequential([keras.Input(shape=(5, 4)), layers.Dense(16, name="qp")], name="q_enc")
v_enc = keras.Sequential([keras.Input(shape=(7, 4)), layers.Dense(8, name="vp")], name="v_enc")
a, b = keras.Input(shape=(5, 4), name="a"), keras.Input(shape=(7, 4), name="b")
model = keras.Model([a, b], matcher([q_enc(a), v_enc(b)]), name="net")
