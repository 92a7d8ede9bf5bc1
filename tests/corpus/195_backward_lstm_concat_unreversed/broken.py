"""(silent) A hand-made bidirectional encoder for a per-token tagger: a forward LSTM and an LSTM with
go_backwards=True, both return_sequences=True, concatenated step by step. The backward LSTM returns its steps in
reverse order, so step t of one is joined with step T-1-t of the other."""
import numpy as np
import keras
from keras import layers

x = np.random.randint(1, 50, (8, 12)).astype("int32")
y = np.random.randint(0, 3, (8, 12)).astype("int32")
tokens = keras.Input(shape=(12,), dtype="int32", name="tokens")
e = layers.Embedding(50, 8, name="emb")(tokens)
fwd = layers.LSTM(16, return_sequences=True, name="fwd")(e)
bwd = layers.LSTM(16, return_sequences=True, go_backwards=True, name="bwd")(e)
h = layers.Concatenate(name="both")([fwd, bwd])
encoder = keras.Model(tokens, h, name="encoder")
inp = keras.Input(shape=(12,), dtype="int32", name="sentence")
tags = layers.Dense(3, activation="softmax", name="tags")(encoder(inp))
model = keras.Model(inp, tags, name="tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
