"""Dot(axes=1) of an 8-wide user tower and a 6-wide item tower."""
import keras
from keras import layers

user = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, name="u")], name="user")
item = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(6, name="it")], name="item")
u, v = keras.Input(shape=(4,), name="u_in"), keras.Input(shape=(3,), name="v_in")
model = keras.Model([u, v], layers.Dot(axes=1, name="affinity")([user(u), item(v)]), name="net")
