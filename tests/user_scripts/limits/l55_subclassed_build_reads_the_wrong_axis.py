"""A subclassed forecaster creates its nested Sequential head in build() from input_shape[1] (the steps) instead of
input_shape[-1] (the features), then flattens the window: the head's Dense is built for 24 features and gets
24*5=120."""
import numpy as np
import keras
from keras import layers


class Forecaster(keras.Model):
    def __init__(self, horizon, **kwargs):
        super().__init__(**kwargs)
        self.horizon = horizon
        self.flat = layers.Flatten(name="flat")

    def build(self, input_shape):
        steps = input_shape[1]
        self.head = keras.Sequential([keras.Input((steps,)), layers.Dense(32, activation="relu", name="hidden"),
                                      layers.Dense(self.horizon, name="forecast")], name="head")
        super().build(input_shape)

    def call(self, window):
        return self.head(self.flat(window))


model = Forecaster(horizon=6, name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(40, 24, 5).astype("float32"), np.random.rand(40, 6).astype("float32"), epochs=1, verbose=0)
