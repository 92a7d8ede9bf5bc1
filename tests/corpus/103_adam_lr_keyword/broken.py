"""Keras-2 habit: Adam(lr=0.001) for a churn model built on a nested encoder; Keras 3 names the argument learning_rate."""
import numpy as np
import keras
from keras import layers

features = keras.Input(shape=(12,), name="features")
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(16, activation="relu", name="hidden")], name="encoder")
out = layers.Dense(1, activation="sigmoid", name="score")(encoder(features))
model = keras.Model(features, out, name="churn")
model.compile(optimizer=keras.optimizers.Adam(lr=0.001), loss="binary_crossentropy")
model.fit(np.random.rand(8, 12), np.random.randint(0, 2, (8, 1)), epochs=1, batch_size=8, verbose=0)
