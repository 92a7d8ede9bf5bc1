"""save_weights() of a nested model to a file ending in .h5 instead of .weights.h5."""
import os
import tempfile

import keras
from keras import layers

e_in = keras.Input(shape=(3,))
enc = keras.Model(e_in, layers.Dense(2, name="e")(e_in), name="enc")
x = keras.Input(shape=(3,), name="x")
stack = keras.Model(x, enc(x), name="stack")
stack.save_weights(os.path.join(tempfile.mkdtemp(), "stack_ckpt.h5"))
