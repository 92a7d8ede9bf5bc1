"""Fixed: the classifier is built inside the strategy's scope, with compile, so its variables are the strategy's."""
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
with strategy.scope():
    model = build_classifier()
    model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
