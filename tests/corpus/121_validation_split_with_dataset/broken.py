"""fit(dataset, validation_split=0.2): a tf.data pipeline cannot be split by Keras."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, name="hidden")], name="encoder")
x = keras.Input(shape=(6,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(encoder(x)), name="regressor")
model.compile(optimizer="adam", loss="mse")
train = tf.data.Dataset.from_tensor_slices((np.random.rand(8, 6), np.random.rand(8, 1))).batch(4)
model.fit(train, validation_split=0.2, epochs=1, verbose=0)
