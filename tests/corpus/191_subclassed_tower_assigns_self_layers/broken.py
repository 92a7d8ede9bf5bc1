"""A subclassed tower keeps its Dense blocks in self.layers, the name a PyTorch-style list of modules would get;
Keras 3 reserves Model.layers and refuses the assignment when the tower is built."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")


class Tower(keras.Model):
    def __init__(self, widths, **kwargs):
        super().__init__(**kwargs)
        self.layers = [layers.Dense(w, activation="relu") for w in widths]

    def call(self, inputs):
        h = inputs
        for layer in self.layers:
            h = layer(h)
        return h


tower = Tower([16, 8], name="tower")
inp = keras.Input(shape=(12,), name="features")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="churn")(tower(inp)), name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
