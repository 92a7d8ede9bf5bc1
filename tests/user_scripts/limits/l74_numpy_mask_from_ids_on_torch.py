"""A nested encoder masks its padding with NumPy inside a custom layer (np.not_equal on the integer ids): PyTorch
runs it eagerly and no gradient flows through ids anyway, so --strict should not claim a lost gradient there (the
script fails on TensorFlow and JAX, which trace call)."""
import numpy as np
import keras
from keras import layers, ops


class PadMask(layers.Layer):
    def call(self, x, ids):
        keep = np.not_equal(ops.convert_to_numpy(ids), 0).astype("float32")
        return x * ops.convert_to_tensor(keep)[..., None]


ids = keras.Input((9,), dtype="int32", name="ids")
vec = layers.Embedding(100, 4, name="emb")(ids)
inner = keras.Model(ids, layers.GlobalAveragePooling1D()(PadMask(name="pad")(vec, ids)), name="inner")
w = keras.Input((9,), dtype="int32")
model = keras.Model(w, layers.Dense(1)(inner(w)))
model.compile("adam", "mse")
model.fit(np.random.randint(0, 100, (16, 9)), np.random.rand(16, 1), verbose=0)
