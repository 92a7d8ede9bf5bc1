"""fit() gets a dict keyed by the user's own feature names; the model's Inputs are named otherwise."""
import numpy as np
import keras
from keras import layers

title_in = keras.Input(shape=(6,), name="title")
body_in = keras.Input(shape=(20,), name="body")
title_enc = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, name="t_dense")], name="title_enc")
body_enc = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, name="b_dense")], name="body_enc")
merged = layers.Concatenate(name="merge")([title_enc(title_in), body_enc(body_in)])
model = keras.Model([title_in, body_in], layers.Dense(1, name="score")(merged), name="ranker")
model.compile(optimizer="adam", loss="mse")
titles, bodies = np.random.rand(8, 6), np.random.rand(8, 20)
model.fit({"title_vec": titles, "body_vec": bodies}, np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
