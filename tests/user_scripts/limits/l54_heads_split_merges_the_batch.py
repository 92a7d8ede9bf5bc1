"""A keras.ops attention-pooling layer inside a nested text encoder splits its features into heads with
ops.reshape(x, (-1, self.heads, self.depth)): the -1 takes the batch and the steps together, so the heads of every
word of every sample land on one axis and the pooled output has the wrong batch size."""
import numpy as np
import keras
from keras import layers, ops


class HeadPool(layers.Layer):
    def __init__(self, heads, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads

    def build(self, input_shape):
        self.depth = input_shape[-1] // self.heads
        self.query = self.add_weight(shape=(self.heads, self.depth), initializer="glorot_uniform", name="query")

    def call(self, x):                                            # x: (batch, steps, features)
        h = ops.reshape(x, (-1, self.heads, self.depth))          # meant (batch, steps, heads, depth)
        scores = ops.softmax(ops.sum(h * self.query, axis=-1), axis=1)
        return ops.sum(h * scores[..., None], axis=1)


tokens = keras.Input((20,), dtype="int32", name="tokens")
h = layers.Embedding(500, 32, name="embed")(tokens)
encoder = keras.Model(tokens, layers.Flatten(name="flat")(HeadPool(4, name="head_pool")(h)), name="encoder")
review = keras.Input((20,), dtype="int32", name="review")
model = keras.Model(review, layers.Dense(1, activation="sigmoid", name="label")(encoder(review)), name="model")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.randint(1, 500, size=(32, 20)), np.random.randint(0, 2, size=(32, 1)), epochs=1, verbose=0)
