"""An outer sequence model for (10 steps, 3 features) is called on a flat (4, 30) batch."""
import keras
import numpy as np
from keras import layers

s_in = keras.Input(shape=(10, 3))
seq_enc = keras.Model(s_in, layers.GRU(5, name="gru")(s_in), name="seq_enc")
x = keras.Input(shape=(10, 3), name="steps")
outer = keras.Model(x, layers.Dense(1, name="o")(seq_enc(x)), name="outer")
flat = np.random.rand(4, 30).astype("float32")
outer(flat)
