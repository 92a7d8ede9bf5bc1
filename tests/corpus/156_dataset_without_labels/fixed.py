"""Fixed: the dataset yields (inputs, targets) pairs."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

values = np.random.rand(8, 10).astype("float32")
targets = np.random.rand(8, 10).astype("float32")
mlp = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="relu", name="hidden"),
                        layers.Dense(10, name="recon")], name="mlp")
x_in = keras.Input(shape=(10,), name="input_values")
model = keras.Model(x_in, mlp(x_in), name="denoiser")
model.compile(optimizer="adam", loss="mse")
data = tf.data.Dataset.from_tensor_slices(({"input_values": values}, targets)).batch(4)
model.fit(data, epochs=1, verbose=0)
