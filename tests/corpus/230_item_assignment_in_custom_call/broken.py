"""A sensor regressor's nested encoder holds a custom ZeroFirst layer that blanks the first feature with NumPy-style
item assignment, x[:, 0] = 0.0: TensorFlow and JAX tensors cannot be assigned to (the encoder fails to build), and
PyTorch's autograd refuses the in-place write during fit."""
import numpy as np
import keras
from keras import layers


class ZeroFirst(layers.Layer):
    def call(self, x):
        x[:, 0] = 0.0
        return x


x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden"),
                            ZeroFirst(name="zero_first")], name="encoder")
readings = keras.Input(shape=(6,), name="readings")
model = keras.Model(readings, layers.Dense(1, name="out")(encoder(readings)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
