"""A classifier with a nested encoder is built outside a MirroredStrategy and only compiled inside its scope: its
variables belong to no strategy, and fit refuses them."""
import numpy as np
import keras
import tensorflow as tf
from keras import layers


def build_classifier():
    encoder = keras.Sequential([keras.Input(shape=(10,)),
                                layers.Dense(8, activation="relu", name="hidden")], name="encoder")
    features = keras.Input(shape=(10,), name="features")
    score = layers.Dense(1, activation="sigmoid", name="score")(encoder(features))
    return keras.Model(features, score, name="classifier")


x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
strategy = tf.distribute.MirroredStrategy()
model = build_classifier()
with strategy.scope():
    model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
