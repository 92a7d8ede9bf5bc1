"""Fixed: the trainable offset is a float weight, dtype="float32"."""
import numpy as np
import keras
from keras import layers, ops


class Offset(layers.Layer):
    def build(self, input_shape):
        self.offset = self.add_weight(shape=(input_shape[-1],), initializer="zeros", dtype="float32")

    def call(self, x):
        return x + ops.cast(self.offset, x.dtype)


x = np.random.rand(8, 5).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(4, name="dense"), Offset(name="offset")],
                           name="encoder")
reading = keras.Input(shape=(5,), name="reading")
model = keras.Model(reading, layers.Dense(1, name="out")(encoder(reading)), name="calibrator")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
