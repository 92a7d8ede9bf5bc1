"""Silent: a custom token-dropout layer inside a nested model drops features at predict time too."""
import keras
import numpy as np
from keras import layers


class FeatureDrop(layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, x):
        return keras.random.dropout(x, self.rate)


a_in = keras.Input(shape=(9,))
augment = keras.Model(a_in, FeatureDrop(0.2, name="feat_drop")(a_in), name="augment")
x = keras.Input(shape=(9,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(augment(x)), name="model")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 9).astype("float32"), np.random.rand(8, 1), epochs=1, verbose=0)
