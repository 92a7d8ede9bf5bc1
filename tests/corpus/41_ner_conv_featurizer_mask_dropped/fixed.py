"""Padded-sentence classifier: a nested featurizer (Embedding with mask_zero=True, then a causal Conv1D) feeds an
outer LSTM. The LSTM gets the padding mask explicitly from the token ids, since Conv1D drops it (fixed)."""
import numpy as np
import keras
from keras import layers

ids = keras.Input(shape=(None,), dtype="int32", name="ids")
h = layers.Embedding(50, 16, mask_zero=True, name="emb")(ids)
h = layers.Conv1D(16, 3, padding="causal", activation="relu", name="conv")(h)
featurizer = keras.Model(ids, h, name="featurizer")

tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
seq = featurizer(tokens)
h = layers.LSTM(16, name="lstm")(seq, mask=keras.ops.not_equal(tokens, 0))
model = keras.Model(tokens, layers.Dense(3, activation="softmax", name="label")(h), name="sent_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.array([[5, 8, 2, 9, 0, 0, 0, 0]] * 4 + [[7, 3, 0, 0, 0, 0, 0, 0]] * 4)
y = np.random.randint(0, 3, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

short, padded = np.array([[5, 8, 2, 9]]), np.array([[5, 8, 2, 9, 0, 0, 0]])
assert float(np.abs(model.predict(short, verbose=0) - model.predict(padded, verbose=0)).max()) < 1e-6
