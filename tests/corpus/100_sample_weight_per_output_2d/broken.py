"""One (n, 2) sample_weight array (a weight per sample per task) passed to fit() of a two-output model on a nested trunk."""
import numpy as np
import keras
from keras import layers

x_in = keras.Input(shape=(5,), name="x")
trunk = keras.Model(x_in, layers.Dense(8, activation="relu", name="hidden")(x_in), name="trunk")

rows = keras.Input(shape=(5,), name="rows")
h = trunk(rows)
price = layers.Dense(1, name="price")(h)
demand = layers.Dense(1, name="demand")(h)
model = keras.Model(rows, [price, demand], name="market")
model.compile(optimizer="adam", loss=["mse", "mse"])
x = np.random.rand(6, 5)
w = np.random.rand(6, 2)
model.fit(x, [np.random.rand(6, 1), np.random.rand(6, 1)], sample_weight=w, epochs=1, batch_size=6, verbose=0)
