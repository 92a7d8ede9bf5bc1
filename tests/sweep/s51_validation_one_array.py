"""A two-input model is fit with x as a list of two arrays but validation_data with one array."""
import keras
import numpy as np
from keras import layers

q_in = keras.Input(shape=(8,))
query_tower = keras.Model(q_in, layers.Dense(4, name="q")(q_in), name="query_tower")
query, doc = keras.Input(shape=(8,), name="query"), keras.Input(shape=(6,), name="doc")
matcher = keras.Model([query, doc], layers.Dense(1, name="m")(layers.Concatenate()([query_tower(query), doc])), name="matcher")
matcher.compile(optimizer="adam", loss="mse")
xq, xd, y = np.random.rand(10, 8), np.random.rand(10, 6), np.random.rand(10, 1)
vq, vy = np.random.rand(4, 8), np.random.rand(4, 1)
matcher.fit([xq, xd], y, validation_data=(vq, vy), epochs=1, verbose=0)
