"""A custom masked mean reads the mask, but the nested embedder's Embedding makes none."""
import keras
from keras import layers, ops


class MaskedMean(layers.Layer):
    def call(self, x, mask=None):
        weights = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        return ops.sum(x * weights, axis=1) / ops.sum(weights, axis=1)


ids = keras.Input(shape=(15,), dtype="int32")
embedder = keras.Model(ids, layers.Embedding(300, 8, name="tok_emb")(ids), name="embedder")
tokens = keras.Input(shape=(15,), dtype="int32", name="tokens")
pooled = MaskedMean(name="masked_mean")(embedder(tokens))
model = keras.Model(tokens, layers.Dense(2, name="cls")(pooled), name="model")
