"""Per-sample weights passed as fit(sample_weight=...) next to a batched tf.data pipeline for a regressor with a
nested encoder: with a dataset the weights must be its third element."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

x = np.random.rand(16, 8).astype("float32")
y = np.random.rand(16, 1).astype("float32")
w = np.random.rand(16).astype("float32")
train_ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
encoder = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(5, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(8,), name="readings")
model = keras.Model(inp, layers.Dense(1, name="yield")(encoder(inp)), name="crop")
model.compile(optimizer="adam", loss="mse")
model.fit(train_ds, sample_weight=w, epochs=1, verbose=0)
