"""(silent) Training of a model with a nested encoder is resumed with fit(epochs=3, initial_epoch=5), meaning
3 more epochs; Keras reads epochs as the last epoch, so no epoch runs and the history is empty."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(10,), name="features")
model = keras.Model(x_in, layers.Dense(1, name="score")(encoder(x_in)), name="scorer")
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=5, batch_size=4, verbose=0)
history = model.fit(x, y, epochs=3, initial_epoch=5, batch_size=4, verbose=0)
