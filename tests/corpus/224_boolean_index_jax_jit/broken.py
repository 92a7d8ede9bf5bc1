"""A nested token encoder centers its embeddings on the mean of the non-padding vectors, picked with a boolean index
vecs[ids != 0]; under JAX's jit the number of picked rows is not known, so fit fails (TensorFlow and PyTorch run)."""
import numpy as np
import keras
from keras import layers, ops

x = np.random.randint(0, 20, (8, 5)).astype("int32")
y = np.random.rand(8, 1).astype("float32")


class Center(layers.Layer):
    def call(self, ids, vecs):
        center = ops.mean(vecs[ids != 0], axis=0)
        return vecs - center


ids = keras.Input(shape=(5,), dtype="int32", name="ids")
vecs = layers.Embedding(20, 4, name="emb")(ids)
encoder = keras.Model(ids, layers.GlobalAveragePooling1D(name="pool")(Center(name="center")(ids, vecs)),
                      name="encoder")
tokens = keras.Input(shape=(5,), dtype="int32", name="tokens")
model = keras.Model(tokens, layers.Dense(1, name="head")(encoder(tokens)), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
