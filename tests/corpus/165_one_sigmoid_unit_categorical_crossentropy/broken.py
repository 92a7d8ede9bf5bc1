"""(silent) A churn classifier with a nested encoder ends in Dense(1, sigmoid) and is compiled with
categorical_crossentropy: over one unit the loss is always 0, nothing is learned (Keras only warns)."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(6,), name="customer")
model = keras.Model(x_in, layers.Dense(1, activation="sigmoid", name="churn_prob")(encoder(x_in)), name="churn")
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
x = np.random.rand(8, 6).astype("float32")
y = (np.arange(8) % 2).reshape(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
