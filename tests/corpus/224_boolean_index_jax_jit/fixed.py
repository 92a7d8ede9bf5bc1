"""Fixed: the non-padding mean is a masked sum over a fixed shape, which JAX can compile."""
import numpy as np
import keras
from keras import layers, ops

x = np.random.randint(0, 20, (8, 5)).astype("int32")
y = np.random.rand(8, 1).astype("float32")


class Center(layers.Layer):
    def call(self, ids, vecs):
        keep = ops.expand_dims(ops.cast(ids != 0, vecs.dtype), -1)
        center = ops.sum(vecs * keep, axis=(0, 1)) / ops.maximum(ops.sum(keep), 1.0)
        return vecs - center


ids = keras.Input(shape=(5,), dtype="int32", name="ids")
vecs = layers.Embedding(20, 4, name="emb")(ids)
encoder = keras.Model(ids, layers.GlobalAveragePooling1D(name="pool")(Center(name="center")(ids, vecs)),
                      name="encoder")
tokens = keras.Input(shape=(5,), dtype="int32", name="tokens")
model = keras.Model(tokens, layers.Dense(1, name="head")(encoder(tokens)), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
