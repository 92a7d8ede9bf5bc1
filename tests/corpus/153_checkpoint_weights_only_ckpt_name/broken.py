"""The TF-2 tutorial's checkpoint name "cp.ckpt" with ModelCheckpoint(save_weights_only=True), for a classifier on a nested encoder."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(16, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(20,), name="features")
model = keras.Model(x_in, layers.Dense(10, activation="softmax", name="digits")(encoder(x_in)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
checkpoint_path = os.path.join(tempfile.mkdtemp(), "cp.ckpt")
cp_callback = keras.callbacks.ModelCheckpoint(filepath=checkpoint_path, save_weights_only=True)
model.fit(np.random.rand(8, 20), np.random.randint(0, 10, size=(8,)), epochs=1, batch_size=8, verbose=0, callbacks=[cp_callback])
