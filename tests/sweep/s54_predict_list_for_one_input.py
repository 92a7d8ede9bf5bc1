"""predict() on a list of two (n, 3) arrays for a model whose one input takes 6 features."""
import keras
import numpy as np
from keras import layers

c_in = keras.Input(shape=(6,))
core = keras.Model(c_in, layers.Dense(2, name="c")(c_in), name="core")
x = keras.Input(shape=(6,), name="sensors")
plant = keras.Model(x, core(x), name="plant")
left, right = np.random.rand(5, 3), np.random.rand(5, 3)
plant.predict([left, right], verbose=0)
