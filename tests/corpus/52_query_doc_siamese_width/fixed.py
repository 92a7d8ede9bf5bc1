"""Search relevance: one shared encoder (Input((20,))) is applied to 20-wide query features and 30-wide document features."""
import numpy as np
import keras
from keras import layers

vec_in = keras.Input(shape=(20,), name="vec_in")
shared_encoder = keras.Model(vec_in, layers.Dense(16, activation="relu", name="embed")(vec_in), name="shared_encoder")

query = keras.Input(shape=(20,), name="query")
doc = keras.Input(shape=(30,), name="doc")
q = shared_encoder(query)
d = shared_encoder(layers.Dense(20, name="doc_proj")(doc))
match = layers.Dense(1, activation="sigmoid", name="match")(layers.Concatenate(name="pair")([q, d]))
model = keras.Model([query, doc], match, name="relevance")
model.compile(optimizer="adam", loss="binary_crossentropy")

x1 = np.random.rand(8, 20).astype("float32")
x2 = np.random.rand(8, 30).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
