"""Fixed: Bidirectional runs the backward copy and reverses its steps back before joining them."""
import numpy as np
import keras
from keras import layers

x = np.random.randint(1, 50, (8, 12)).astype("int32")
y = np.random.randint(0, 3, (8, 12)).astype("int32")
tokens = keras.Input(shape=(12,), dtype="int32", name="tokens")
e = layers.Embedding(50, 8, name="emb")(tokens)
h = layers.Bidirectional(layers.LSTM(16, return_sequences=True), name="both")(e)
encoder = keras.Model(tokens, h, name="encoder")
inp = keras.Input(shape=(12,), dtype="int32", name="sentence")
tags = layers.Dense(3, activation="softmax", name="tags")(encoder(inp))
model = keras.Model(inp, tags, name="tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
