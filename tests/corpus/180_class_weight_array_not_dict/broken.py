"""The balanced class weights computed as an array (what sklearn's compute_class_weight returns) go straight to
fit(class_weight=...) for a classifier with a nested encoder: Keras wants a dict from class index to weight."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.array([0, 0, 0, 0, 0, 1, 1, 2])
class_weights = len(y) / (3 * np.bincount(y))
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(10,), name="functions")
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="vuln")(encoder(inp)), name="detector")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, class_weight=class_weights, epochs=1, verbose=0)
