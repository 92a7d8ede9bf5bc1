"""A CORRECT SimCLR-style model: one nested encoder, a layer making the (batch, batch) cosine similarity of every
view with every other, and NT-Xent labels built from the batch in the loss. `kernest check --strict` must stay quiet
(before round 8 it said compute_output_shape was wrong: the second axis is as long as the batch)."""
import numpy as np
import keras
from keras import layers, ops

def tower(shape, name):
    x = keras.Input(shape, name=f"{name}_in")
    h = layers.Dense(32, activation="relu")(x)
    return keras.Model(x, layers.Dense(16)(h), name=name)

class SelfSimilarity(layers.Layer):
    def call(self, z):
        z = z / ops.norm(z, axis=-1, keepdims=True)
        return ops.matmul(z, ops.transpose(z)) / 0.1
    def compute_output_shape(self, s):
        return (s[0], s[0])

def nt_xent(y_true, sims):
    n = ops.shape(sims)[0]
    half = n // 2
    labels = ops.concatenate([ops.arange(half, n), ops.arange(0, half)])
    sims = sims - 1e9 * ops.eye(n)
    return keras.losses.sparse_categorical_crossentropy(labels, sims, from_logits=True)

encoder = tower((32,), "encoder")
views = keras.Input((32,), name="views")
model = keras.Model(views, SelfSimilarity(name="similarity")(encoder(views)), name="simclr")
model.compile(optimizer="adam", loss=nt_xent)
x = np.random.rand(128, 32).astype("float32")
model.fit(x, np.zeros(128, "float32"), epochs=1, batch_size=32, shuffle=False, verbose=0)
