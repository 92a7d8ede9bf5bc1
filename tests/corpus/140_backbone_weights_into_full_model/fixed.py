"""Fixed: the encoder's weights are loaded into the nested encoder they were saved from."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "encoder.weights.h5")
pretrained = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
pretrained.save_weights(path)

encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
rows = keras.Input(shape=(12,), name="rows")
model = keras.Model(rows, layers.Dense(3, activation="softmax", name="label")(encoder(rows)), name="classifier")
model.get_layer("encoder").load_weights(path)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 12).astype("float32"), np.random.randint(0, 3, size=(8,)), epochs=1, batch_size=8, verbose=0)
