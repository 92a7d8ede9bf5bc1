"""A custom pooling layer's compute_output_shape keeps the steps axis that its call removes."""
import keras
import numpy as np
from keras import layers, ops


class StepMax(layers.Layer):
    def call(self, x):
        return ops.max(x, axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape


p_in = keras.Input(shape=(10, 16))
pooler = keras.Model(p_in, StepMax(name="step_max")(p_in), name="pooler")
h_in = keras.Input(shape=(10, 16))
head = keras.Model(h_in, layers.GRU(4, name="gru")(h_in), name="head")
x = keras.Input(shape=(10, 16), name="seq")
model = keras.Model(x, head(pooler(x)), name="model")
model.predict(np.zeros((3, 10, 16), "float32"), verbose=0)
