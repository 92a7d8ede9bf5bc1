"""Fixed: Keras 3 weight files end in .weights.h5."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(4, name="code")], name="encoder")
x = keras.Input(shape=(10,), name="x")
model = keras.Model(x, layers.Dense(10, name="recon")(encoder(x)), name="autoencoder")
model.compile(optimizer="adam", loss="mse")
data = np.random.rand(8, 10)
model.fit(data, data, epochs=1, batch_size=8, verbose=0)
folder = tempfile.mkdtemp()
encoder.save_weights(os.path.join(folder, "encoder.weights.h5"))

