"""A custom pooling layer in a nested text encoder writes its call with tf.* functions (tf.one_hot, tf.reduce_sum,
tf.cast): fine on TensorFlow, but on JAX or PyTorch tf.* cannot take the backend's tensors."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class BagOfTags(layers.Layer):
    def __init__(self, tags, **kwargs):
        super().__init__(**kwargs)
        self.tags = tags

    def call(self, ids):
        hot = tf.one_hot(ids, self.tags)
        return tf.cast(tf.reduce_sum(hot, axis=1), "float32")


ids = keras.Input((6,), dtype="int32", name="ids")
tagger = keras.Model(ids, layers.Dense(16, activation="relu", name="proj")(BagOfTags(50, name="bag")(ids)),
                     name="tagger")
tags = keras.Input((6,), dtype="int32", name="tags")
model = keras.Model(tags, layers.Dense(1, activation="sigmoid", name="clicked")(tagger(tags)), name="model")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.randint(0, 50, size=(32, 6)), np.random.randint(0, 2, size=(32, 1)), epochs=1, verbose=0)
