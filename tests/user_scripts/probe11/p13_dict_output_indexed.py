# After keras-team/keras#13656 (dict outputs of a model): the inner model returns a dict, the outer code
# indexes it like a list.
import keras
import numpy as np
from keras import layers as L

f = keras.Input((10,))
h = L.Dense(16, activation="relu")(f)
heads = keras.Model(f, {"mean": L.Dense(1)(h), "logvar": L.Dense(1)(h)}, name="heads")
x = keras.Input((10,), name="x")
pred = heads(x)
out = L.Concatenate()([pred[0], pred[1]])
model = keras.Model(x, out, name="gaussian")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 10), np.random.rand(16, 2), verbose=0)
