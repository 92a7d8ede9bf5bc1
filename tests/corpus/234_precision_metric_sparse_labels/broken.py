"""A three-class ticket router on a nested text encoder ends in Dense(3, softmax) and is trained on integer labels
with sparse_categorical_crossentropy and metrics=[keras.metrics.Precision()]; Precision compares y_true and y_pred
element by element, so (batch, 1) labels meet (batch, 3) probabilities and fit fails in the backend's words."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 3, size=(8,))
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(6, activation="relu", name="hidden")], name="encoder")
tokens = keras.Input(shape=(12,), name="tokens")
model = keras.Model(tokens, layers.Dense(3, activation="softmax", name="queue")(encoder(tokens)), name="router")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=[keras.metrics.Precision()])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
