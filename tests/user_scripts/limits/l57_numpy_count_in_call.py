"""A keras.ops masking layer in a nested sequence encoder counts the real steps with Python/NumPy
(int(np.count_nonzero(...))) inside call: fine eagerly, but fit traces call on TensorFlow and JAX."""
import numpy as np
import keras
from keras import layers, ops


class MeanOverReal(layers.Layer):
    def call(self, x, ids):
        real = int(np.count_nonzero(ops.convert_to_numpy(ids)))
        return ops.sum(x, axis=1) / real


ids = keras.Input((15,), dtype="int32", name="ids")
vectors = layers.Embedding(200, 8, name="embed")(ids)
encoder = keras.Model(ids, MeanOverReal(name="mean_real")(vectors, ids), name="encoder")
words = keras.Input((15,), dtype="int32", name="words")
model = keras.Model(words, layers.Dense(3, activation="softmax", name="topic")(encoder(words)), name="model")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.randint(0, 200, size=(32, 15)), np.random.randint(0, 3, size=(32,)), epochs=1, verbose=0)
