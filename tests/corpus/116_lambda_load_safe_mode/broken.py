"""A model whose nested preprocessor holds a Lambda(lambda) is saved and loaded back with load_model."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

prep = keras.Sequential([keras.Input(shape=(5,)), layers.Lambda(lambda t: t * 2.0, name="double")], name="prep")
x = keras.Input(shape=(5,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(prep(x)), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 5), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "scorer.keras")
model.save(path)
model = keras.models.load_model(path)
