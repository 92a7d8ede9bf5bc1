"""A compiled nested model is fit on a dataset that yields only inputs, no labels."""
import keras
import numpy as np
import tensorflow as tf
from keras import layers

b_in = keras.Input(shape=(5,))
body = keras.Model(b_in, layers.Dense(2, name="b")(b_in), name="body")
x = keras.Input(shape=(5,), name="x")
net = keras.Model(x, body(x), name="net")
net.compile(optimizer="adam", loss="mse")
features = tf.data.Dataset.from_tensor_slices(np.random.rand(8, 5).astype("float32")).batch(4)
net.fit(features, epochs=1, verbose=0)
