"""Tiny translator with tied embeddings: the decoder gets its own Embedding(40, 16) instead of reusing the encoder's
layer, so the saved model loads again (fixed)."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

tok_emb = layers.Embedding(40, 16, name="tok_emb")
src = keras.Input(shape=(6,), dtype="int32", name="src")
encoder = keras.Model(src, layers.GRU(16, name="enc_gru")(tok_emb(src)), name="encoder")

source = keras.Input(shape=(6,), dtype="int32", name="source")
target = keras.Input(shape=(5,), dtype="int32", name="target")
dec = layers.GRU(16, return_sequences=True, name="dec_gru")(layers.Embedding(40, 16, name="dec_emb")(target), initial_state=encoder(source))
model = keras.Model([source, target], layers.Dense(40, name="logits")(dec), name="translator")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

x = [np.random.randint(0, 40, (4, 6)), np.random.randint(0, 40, (4, 5))]
y = np.random.randint(0, 40, (4, 5))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "translator.keras")
    model.save(path)
    restored = keras.models.load_model(path)
