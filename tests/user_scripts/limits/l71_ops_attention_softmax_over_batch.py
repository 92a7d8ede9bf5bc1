"""A keras.ops attention-pooling layer in a nested sentence encoder takes the softmax of its scores over axis 0
(the batch) instead of axis 1 (the steps): nothing fails, but each sample's weights depend on the other samples."""
import numpy as np
import keras
from keras import layers, ops


class AttentionPool(layers.Layer):
    def build(self, input_shape):
        self.v = self.add_weight(shape=(input_shape[-1], 1), name="v")

    def call(self, x):
        scores = ops.matmul(x, self.v)            # (batch, steps, 1)
        weights = ops.softmax(scores, axis=0)
        return ops.sum(weights * x, axis=1)


ids = keras.Input((12,), dtype="int32", name="ids")
encoder = keras.Model(ids, AttentionPool(name="attn")(layers.Embedding(300, 16, name="emb")(ids)), name="encoder")
words = keras.Input((12,), dtype="int32", name="words")
model = keras.Model(words, layers.Dense(2, activation="softmax", name="label")(encoder(words)), name="model")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.randint(0, 300, size=(32, 12)), np.random.randint(0, 2, size=(32,)), epochs=1, verbose=0)
