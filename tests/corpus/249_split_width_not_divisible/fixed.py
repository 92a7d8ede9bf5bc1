"""Fixed: the Dense before the split has an even width (6 = two halves of 3)."""
import numpy as np
import keras
from keras import layers, ops


class GaussianHead(layers.Layer):
    def call(self, params):
        mean, log_std = ops.split(params, 2, axis=-1)
        return mean + ops.exp(log_std)


x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
policy = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(6, name="params"), GaussianHead(name="gaussian")],
                          name="policy")
state = keras.Input(shape=(6,), name="state")
model = keras.Model(state, layers.Dense(1, name="value")(policy(state)), name="agent")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
