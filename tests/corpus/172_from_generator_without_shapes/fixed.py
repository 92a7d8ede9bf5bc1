"""Fixed: from_generator is told the shape of each element."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

features = np.random.rand(8, 6).astype("float32")
targets = np.random.rand(8, 1).astype("float32")


def rows():
    for i in range(len(features)):
        yield features[i], targets[i]


encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(6,), name="sensor")
model = keras.Model(x_in, layers.Dense(1, name="reading")(encoder(x_in)), name="regressor")
model.compile(optimizer="adam", loss="mse")
dataset = tf.data.Dataset.from_generator(rows, output_types=(tf.float32, tf.float32), output_shapes=((6,), (1,))).batch(4)
model.fit(dataset, epochs=1, verbose=0)
