"""A custom bias layer creates its weight inside call()."""
import keras
from keras import layers


class LateBias(layers.Layer):
    def call(self, x):
        self.b = self.add_weight(shape=(x.shape[-1],), initializer="zeros", name="b")
        return x + self.b


s_in = keras.Input(shape=(5,))
scorer = keras.Model(s_in, LateBias(name="late_bias")(layers.Dense(5, name="lin")(s_in)), name="scorer")
x = keras.Input(shape=(5,), name="x")
model = keras.Model(x, scorer(x), name="model")
