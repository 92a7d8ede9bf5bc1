# After keras-team/keras#19324 and keras-team/keras#11753: a keras.ops-only custom layer concatenates its input with
# its square (doubling the features) but its compute_output_shape returns the input shape, so the functional model
# builds the next Dense for the wrong width.
import keras
import numpy as np
from keras import layers as L


class PolyFeatures(L.Layer):
    def call(self, x):
        return keras.ops.concatenate([x, keras.ops.square(x)], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape


inp = keras.Input((6,))
expand = keras.Model(inp, PolyFeatures(name="poly")(inp), name="expand")
x = keras.Input((6,), name="x")
h = expand(x)
h = L.Dense(8, activation="relu", name="hidden")(h)
model = keras.Model(x, L.Dense(1, name="y")(h), name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 6), np.random.rand(32, 1), verbose=0)
