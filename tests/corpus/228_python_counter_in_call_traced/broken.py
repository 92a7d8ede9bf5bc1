"""A Counted layer in a nested encoder counts its calls with a Python attribute (self.calls += 1 in call()); fit runs
call() only while tracing the train step, so after 3 epochs of 2 batches the count is not 6 (TensorFlow and JAX)."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Counted(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(4, name="proj")
        self.calls = 0

    def call(self, inputs):
        self.calls += 1
        return self.proj(inputs)


encoder = keras.Sequential([keras.Input(shape=(6,)), Counted(name="counted")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="head")(encoder(features)), name="clf")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=3, batch_size=4, verbose=0)
print("calls counted:", int(encoder.get_layer("counted").calls))
