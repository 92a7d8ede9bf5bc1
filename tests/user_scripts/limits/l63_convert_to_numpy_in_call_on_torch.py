"""A feature-scaling layer in a nested regressor compresses its input with NumPy (keras.ops.convert_to_numpy,
np.log1p, back with convert_to_tensor) inside call. TensorFlow and JAX fail while they trace fit; PyTorch runs fit eagerly,
so nothing fails there, but the values leave the graph: the layers before it never get a gradient."""
import numpy as np
import keras
from keras import layers, ops


class LogScale(layers.Layer):
    def call(self, x):
        values = ops.convert_to_numpy(x)
        return ops.convert_to_tensor(np.sign(values) * np.log1p(np.abs(values)))


signal = keras.Input((12,), name="signal")
h = layers.Dense(16, activation="tanh", name="embed")(signal)
encoder = keras.Model(signal, LogScale(name="log_scale")(h), name="encoder")
readings = keras.Input((12,), name="readings")
model = keras.Model(readings, layers.Dense(1, name="level")(encoder(readings)), name="model")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(64, 12).astype("float32"), np.random.rand(64, 1).astype("float32"), epochs=1, verbose=0)
