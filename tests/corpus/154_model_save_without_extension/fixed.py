"""Fixed: the model is saved to a .keras file."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

extractor = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="proj")], name="extractor")
x_in = keras.Input(shape=(12,), name="row")
model = keras.Model(x_in, layers.Dense(1, activation="sigmoid", name="churn")(extractor(x_in)), name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.rand(8, 12), np.random.randint(0, 2, size=(8, 1)), epochs=1, batch_size=8, verbose=0)
folder = tempfile.mkdtemp()
model.save(os.path.join(folder, "tfmodel.keras"))
