"""Fixed: the GRU is called on the embedded tokens, layers.GRU(32, name="gru")(h)."""
import numpy as np
import keras
from keras import layers

x = np.random.randint(1, 100, (8, 20)).astype("int32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
tokens = keras.Input(shape=(20,), dtype="int32", name="tokens")
h = layers.Embedding(100, 16, name="emb")(tokens)
h = layers.GRU(32, name="gru")(h)
encoder = keras.Model(tokens, layers.Dense(8, activation="relu", name="proj")(h), name="encoder")
inp = keras.Input(shape=(20,), dtype="int32", name="tweet")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="sentiment")(encoder(inp)), name="classifier")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
