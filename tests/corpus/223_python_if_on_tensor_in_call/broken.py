"""A subclassed Gate model holding a Sequential body doubles the body's output when its mean is positive, written as a
Python `if` on a tensor inside call(); TensorFlow's graph and JAX's tracing cannot turn a tensor into a Python bool."""
import numpy as np
import keras
from keras import layers, ops

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Gate(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.Sequential([layers.Dense(8, name="hidden")], name="body")
        self.head = layers.Dense(1, name="head")

    def call(self, inputs):
        h = self.body(inputs)
        if ops.mean(h) > 0:
            h = h * 2.0
        return self.head(h)


model = Gate(name="gate")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
