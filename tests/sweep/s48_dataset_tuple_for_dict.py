"""A tf.data dataset yields ((mask, ids), y), a tuple in another order, for a model whose inputs are a dict {"ids", "mask"}."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

e_in = keras.Input(shape=(6,))
encoder = keras.Model(e_in, layers.Dense(4, name="e")(e_in), name="encoder")
ids, mask = keras.Input(shape=(6,), name="ids"), keras.Input(shape=(2,), name="mask")
clf = keras.Model({"ids": ids, "mask": mask}, layers.Dense(1, name="o")(layers.Concatenate()([encoder(ids), mask])), name="clf")
clf.compile(optimizer="adam", loss="mse")
ds = tf.data.Dataset.from_tensor_slices(((np.random.rand(8, 2), np.random.rand(8, 6)), np.random.rand(8, 1))).batch(4)
clf.fit(ds, epochs=1, verbose=0)
