"""Limit 3b (round 7): the model is built by make_tagger(), called before the strategy scope, and only compiled in
a helper that opens the scope: its variables are not the strategy's. TensorFlow only."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

rng = np.random.default_rng(6)
frames = rng.normal(size=(32, 10)).astype("float32")
tags = rng.integers(0, 4, size=(32,))


def make_tagger():
    body = keras.Sequential([keras.Input((10,)), layers.Dense(16, activation="relu", name="mix")], name="frame_body")
    frame = keras.Input((10,), name="frame")
    return keras.Model(frame, layers.Dense(4, activation="softmax", name="tag")(body(frame)), name="tagger")


def compile_under(strategy, model):
    with strategy.scope():
        model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


mirrored = tf.distribute.MirroredStrategy(["/cpu:0"])
tagger = make_tagger()
tagger = compile_under(mirrored, tagger)
tagger.fit(frames, tags, epochs=1, batch_size=8, verbose=0)
