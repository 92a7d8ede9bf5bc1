"""(silent) Samples are sorted by class, and fit(validation_split=0.25) takes the last quarter: the validation set is one class."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(10,), name="features")
model = keras.Model(x_in, layers.Dense(3, activation="softmax", name="kind")(encoder(x_in)), name="sorter")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
features = np.random.rand(12, 10).astype("float32")
kinds = np.repeat(np.arange(3), 4)
model.fit(features, kinds, validation_split=0.25, epochs=1, batch_size=4, verbose=0)
