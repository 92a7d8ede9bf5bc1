"""Limit 3 (round 3): a masked softmax in a module-level helper that call() calls changes exp's output in place
(e *= mask); PyTorch's backward pass fails, TensorFlow and JAX train."""
import numpy as np
import keras
from keras import layers, ops


def masked_softmax(scores, mask):
    e = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))
    e *= ops.cast(mask, e.dtype)
    return e / (ops.sum(e, axis=-1, keepdims=True) + 1e-9)


class AttentionPool(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.supports_masking = True
        self.query = layers.Dense(1, name="query")

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, x, mask=None):
        scores = ops.squeeze(self.query(x), -1)  # (batch, steps)
        weights = masked_softmax(scores, mask if mask is not None else ops.ones_like(scores))
        return ops.sum(x * weights[..., None], axis=1)


w = keras.Input((7,), dtype="int32", name="tokens")
h = layers.GRU(6, return_sequences=True, name="gru")(layers.Embedding(40, 8, mask_zero=True, name="emb")(w))
encoder = keras.Model(w, AttentionPool(name="attn_pool")(h), name="doc_encoder")
i = keras.Input((7,), dtype="int32")
model = keras.Model(i, layers.Dense(2, activation="softmax", name="label")(encoder(i)), name="clf")
model.compile("adam", "sparse_categorical_crossentropy")
ids = np.random.randint(1, 40, (16, 7))
ids[:, 5:] = 0
model.fit(ids, np.random.randint(0, 2, 16), epochs=1, verbose=0)
