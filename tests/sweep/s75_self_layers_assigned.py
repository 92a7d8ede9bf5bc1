"""A subclassed model stores its blocks in an attribute called `layers`."""
import keras
from keras import layers


class Stack(keras.Model):
    def __init__(self, widths, **kwargs):
        super().__init__(**kwargs)
        self.layers = [layers.Dense(w, activation="relu") for w in widths]

    def call(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


x = keras.Input(shape=(14,), name="x")
stack = Stack([16, 8], name="stack")
model = keras.Model(x, layers.Dense(1, name="out")(stack(x)), name="model")
