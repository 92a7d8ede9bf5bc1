"""Fixed: the labels are shifted to start at 0."""
import numpy as np
import keras
from keras import layers

features = np.random.rand(8, 4).astype("float32")
species = np.array([2, 2, 3, 1, 1, 2, 3, 3])
body = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(8, activation="relu", name="hidden")], name="body")
x_in = keras.Input(shape=(4,), name="measures")
model = keras.Model(x_in, layers.Dense(3, activation="softmax", name="species")(body(x_in)), name="iris")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(features, species - 1, epochs=1, batch_size=8, verbose=0)
