# After tensorflow/tensorflow#20698: a two-input model fed a tf.data.Dataset whose elements are a flat
# (a, b, label) triple instead of ((a, b), label).
import keras
import numpy as np
import tensorflow as tf
from keras import layers as L

q_in = keras.Input((10,))
tower = keras.Model(q_in, L.Dense(8, activation="relu")(q_in), name="tower")
query = keras.Input((10,), name="query")
doc = keras.Input((10,), name="doc")
score = L.Dot(axes=1)([tower(query), tower(doc)])
model = keras.Model([query, doc], L.Activation("sigmoid")(score), name="matcher")
model.compile("adam", "binary_crossentropy")
a = np.random.rand(64, 10).astype("float32")
b = np.random.rand(64, 10).astype("float32")
y = np.random.randint(0, 2, (64, 1)).astype("float32")
ds = tf.data.Dataset.from_tensor_slices((a, b, y)).batch(16)
model.fit(ds, epochs=1, verbose=0)
