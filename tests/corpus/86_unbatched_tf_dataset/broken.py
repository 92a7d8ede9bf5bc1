"""A tf.data pipeline whose .batch() result is thrown away: fit() gets single samples (12,) for a model with a nested MLP."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

f = keras.Input(shape=(12,), name="f")
mlp = keras.Model(f, layers.Dense(16, activation="relu", name="hidden")(f), name="mlp")
features = keras.Input(shape=(12,), name="features")
model = keras.Model(features, layers.Dense(1, name="price")(mlp(features)), name="regressor")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 12).astype("float32")
y = np.random.rand(8, 1).astype("float32")
dataset = tf.data.Dataset.from_tensor_slices((x, y))
dataset.batch(4)
model.fit(dataset, epochs=1, verbose=0)
