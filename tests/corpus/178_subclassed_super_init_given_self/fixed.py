"""Fixed: super().__init__ gets the keyword arguments only."""
import numpy as np
import keras
from keras import layers


class CD(keras.Model):
    def __init__(self, rbm, steps=5, **kwargs):
        super().__init__(**kwargs)
        self.rbm = rbm
        self.steps = steps

    def call(self, inputs):
        return self.rbm(inputs)


x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 4).astype("float32")
rbm = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="sigmoid", name="hidden")], name="rbm")
model = CD(rbm, name="cd")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, verbose=0)
