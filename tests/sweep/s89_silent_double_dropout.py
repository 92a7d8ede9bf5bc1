"""Silent: the nested encoder ends in Dropout(0.5) and the outer model applies Dropout(0.5) again right after."""
import keras
import numpy as np
from keras import layers

e_in = keras.Input(shape=(30,))
e = layers.Dense(16, activation="relu", name="enc_dense")(e_in)
encoder = keras.Model(e_in, layers.Dropout(0.5, name="enc_drop")(e), name="encoder")
x = keras.Input(shape=(30,), name="x")
h = layers.Dropout(0.5, name="head_drop")(encoder(x))
model = keras.Model(x, layers.Dense(1, name="out")(h), name="model")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 30).astype("float32"), np.random.rand(8, 1), epochs=1, verbose=0)
