"""A generator yields one sample at a time, (15,) and (1,), to a nested regressor that needs batches."""
import keras
import numpy as np
from keras import layers

r_in = keras.Input(shape=(15,))
core = keras.Model(r_in, layers.Dense(1, name="r")(r_in), name="core")
x = keras.Input(shape=(15,), name="x")
reg = keras.Model(x, core(x), name="reg")
reg.compile(optimizer="sgd", loss="mse")

def samples():
    while True:
        yield np.random.rand(15).astype("float32"), np.random.rand(1).astype("float32")

reg.fit(samples(), steps_per_epoch=2, epochs=1, verbose=0)
