"""A regressor on a nested encoder was exported as a TensorFlow SavedModel folder (model.export); a later script
reloads it with keras.models.load_model(path) to put a new head on it. Keras 3 loads only .keras and .h5 files."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
regressor = keras.Model(features, layers.Dense(1, name="rent")(encoder(features)), name="regressor")
path = os.path.join(tempfile.mkdtemp(), "regressor_savedmodel")
regressor.export(path)

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
base = keras.models.load_model(path)
inputs = keras.Input(shape=(6,), name="inputs")
model = keras.Model(inputs, layers.Dense(1, name="adjusted")(base(inputs)), name="adjuster")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
