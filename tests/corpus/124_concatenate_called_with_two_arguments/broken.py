"""Concatenate is called with the two tower outputs as separate arguments."""
import numpy as np
import keras
from keras import layers

user_tower = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, name="u_hidden")], name="user_tower")
item_tower = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, name="i_hidden")], name="item_tower")
user = keras.Input(shape=(4,), name="user")
item = keras.Input(shape=(6,), name="item")
u = user_tower(user)
v = item_tower(item)
joined = layers.Concatenate(name="joined")(u, v)
out = layers.Dense(1, activation="sigmoid", name="click")(joined)
model = keras.Model([user, item], out, name="ctr")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([np.random.rand(8, 4), np.random.rand(8, 6)], np.random.randint(0, 2, size=(8, 1)), epochs=1, batch_size=8, verbose=0)
