"""Fixed: the branch is taken inside the graph with ops.where, which both sides of the condition feed."""
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
        h = ops.where(ops.mean(h) > 0, h * 2.0, h)
        return self.head(h)


model = Gate(name="gate")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
