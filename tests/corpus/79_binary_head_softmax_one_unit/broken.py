"""Binary churn head Dense(1, activation="softmax") inside a nested head model: softmax over one unit is always 1.0, nothing raises."""
import numpy as np
import keras
from keras import layers

h_in = keras.Input(shape=(8,), name="h_in")
head = keras.Model(h_in, layers.Dense(1, activation="softmax", name="prob")(h_in), name="head")

features = keras.Input(shape=(12,), name="features")
hidden = layers.Dense(8, activation="relu", name="hidden")(features)
model = keras.Model(features, head(hidden), name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=8, verbose=0)
