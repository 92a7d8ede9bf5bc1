"""A model nesting a block with a Lambda layer is saved and loaded with the default safe_mode."""
import os
import tempfile

import keras
from keras import layers

b_in = keras.Input(shape=(4,))
block = keras.Model(b_in, layers.Lambda(lambda t: t * 3.0, name="triple")(b_in), name="block")
x = keras.Input(shape=(4,), name="x")
wrapper = keras.Model(x, layers.Dense(1, name="d")(block(x)), name="wrapper")
path = os.path.join(tempfile.mkdtemp(), "wrapper.keras")
wrapper.save(path)
keras.models.load_model(path)
