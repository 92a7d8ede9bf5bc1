"""A custom per-step dense builds its kernel from axis 1 (the 5 steps) instead of the 9 features."""
import keras
import numpy as np
from keras import layers, ops


class StepDense(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[1], self.units), name="kernel")

    def call(self, x):
        return ops.matmul(x, self.kernel)


s_in = keras.Input(shape=(5, 9))
sensor = keras.Model(s_in, layers.Conv1D(9, 3, padding="same", name="conv")(s_in), name="sensor")
m_in = keras.Input(shape=(5, 9))
mixer = keras.Model(m_in, StepDense(4, name="step_dense")(m_in), name="mixer")
x = keras.Input(shape=(5, 9), name="x")
model = keras.Model(x, mixer(sensor(x)), name="model")
model.predict(np.zeros((2, 5, 9), "float32"), verbose=0)
