"""Word vectors (batch, 30, 50) from a nested word encoder and tag features (batch, 30, 12) from a nested tag encoder, joined with Concatenate(axis=1)."""
import numpy as np
import keras
from keras import layers

w = keras.Input(shape=(30,), dtype="int32", name="w")
word_encoder = keras.Model(w, layers.Embedding(800, 50, name="word_emb")(w), name="word_encoder")
t = keras.Input(shape=(30, 6), name="t")
tag_encoder = keras.Model(t, layers.Dense(12, activation="relu", name="tag_proj")(t), name="tag_encoder")

words = keras.Input(shape=(30,), dtype="int32", name="words")
tags = keras.Input(shape=(30, 6), name="tags")
joined = layers.Concatenate(axis=1, name="join")([word_encoder(words), tag_encoder(tags)])
h = layers.Bidirectional(layers.LSTM(8), name="bilstm")(joined)
model = keras.Model([words, tags], layers.Dense(3, activation="softmax", name="intent")(h), name="tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

xw = np.random.randint(0, 800, size=(4, 30))
xt = np.random.rand(4, 30, 6).astype("float32")
y = np.random.randint(0, 3, size=(4,))
model.fit([xw, xt], y, epochs=1, batch_size=4, verbose=0)
