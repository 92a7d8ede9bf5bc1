"""Limit 6: a nested sentence encoder's attention pooling masks its weights in place (scores *= mask)."""
import numpy as np
import keras
from keras import layers, ops


class MaskedPool(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.supports_masking = True
        self.score = layers.Dense(1)

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, x, mask=None):
        scores = ops.exp(ops.squeeze(self.score(x), -1))  # (batch, words)
        if mask is not None:
            scores *= ops.cast(mask, scores.dtype)
        scores = scores / (ops.sum(scores, axis=1, keepdims=True) + 1e-7)
        return ops.sum(x * scores[..., None], axis=1)


w = keras.Input((6,), dtype="int32", name="words")
h = layers.LSTM(5, return_sequences=True, name="lstm")(layers.Embedding(30, 8, mask_zero=True, name="emb")(w))
encoder = keras.Model(w, MaskedPool(name="pool")(h), name="sentence_encoder")
i = keras.Input((6,), dtype="int32")
model = keras.Model(i, layers.Dense(3, activation="softmax", name="topic")(encoder(i)), name="classifier")
model.compile("adam", "sparse_categorical_crossentropy")
ids = np.random.randint(1, 30, (8, 6))
ids[:, 4:] = 0
model.fit(ids, np.random.randint(0, 3, 8), epochs=1, verbose=0)
