"""Fixed: the count is a non-trainable variable updated with assign_add, which runs in every step."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Counted(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(4, name="proj")
        self.calls = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="calls")

    def call(self, inputs):
        self.calls.assign_add(1)
        return self.proj(inputs)


encoder = keras.Sequential([keras.Input(shape=(6,)), Counted(name="counted")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="head")(encoder(features)), name="clf")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
print("calls counted:", int(encoder.get_layer("counted").calls))
