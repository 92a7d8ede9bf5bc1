"""Retrieval: a subclassed bilinear scorer with its own weight sized by a dim argument (32) gets 48-wide embeddings."""
import numpy as np
import keras
from keras import layers, ops


class BilinearScorer(keras.Model):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight(shape=(dim, dim), initializer="glorot_uniform", name="w")

    def call(self, inputs):
        query, doc = inputs
        return ops.sum(ops.matmul(query, self.w) * doc, axis=-1, keepdims=True)


text_in = keras.Input(shape=(20,), name="text_in")
encoder = keras.Model(text_in, layers.Dense(32, name="proj")(text_in), name="encoder")

query = keras.Input(shape=(20,), name="query")
doc = keras.Input(shape=(20,), name="doc")
score = BilinearScorer(dim=32, name="scorer")([encoder(query), encoder(doc)])
model = keras.Model([query, doc], score, name="retriever")
model.compile(optimizer="adam", loss="mse")

x = [np.random.rand(4, 20).astype("float32") for _ in range(2)]
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
