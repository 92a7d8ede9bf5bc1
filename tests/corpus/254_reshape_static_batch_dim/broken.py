"""A custom Flatten-like layer in a nested encoder reshapes with ops.reshape(x, (x.shape[0], -1)): the batch size
read from the static shape is None while TensorFlow builds the model, and the reshape cannot take None."""
import numpy as np
import keras
from keras import layers, ops


class Collapse(layers.Layer):
    def call(self, x):
        return ops.reshape(x, (x.shape[0], -1))


x = np.random.rand(8, 6, 2).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6, 2)), layers.Conv1D(3, 3, name="conv"), Collapse(name="collapse")],
                           name="encoder")
signal = keras.Input(shape=(6, 2), name="signal")
model = keras.Model(signal, layers.Dense(1, name="out")(encoder(signal)), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
