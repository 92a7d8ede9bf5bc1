"""A nested model is saved to a path without the .keras extension."""
import os
import tempfile

import keras
from keras import layers

e_in = keras.Input(shape=(3,))
enc = keras.Model(e_in, layers.Dense(2, name="e")(e_in), name="enc")
x = keras.Input(shape=(3,), name="x")
pipeline = keras.Model(x, enc(x), name="pipeline")
target = os.path.join(tempfile.mkdtemp(), "pipeline_v2")
pipeline.save(target)
