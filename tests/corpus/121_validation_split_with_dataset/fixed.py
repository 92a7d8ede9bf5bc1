"""Fixed: a separate validation dataset is given as validation_data."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, name="hidden")], name="encoder")
x = keras.Input(shape=(6,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(encoder(x)), name="regressor")
model.compile(optimizer="adam", loss="mse")
train = tf.data.Dataset.from_tensor_slices((np.random.rand(8, 6), np.random.rand(8, 1))).batch(4)
val = tf.data.Dataset.from_tensor_slices((np.random.rand(4, 6), np.random.rand(4, 1))).batch(4)
model.fit(train, validation_data=val, epochs=1, verbose=0)
