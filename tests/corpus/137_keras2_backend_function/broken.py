"""Keras-2 recipe: the codes of a nested encoder are read with keras.backend.function, which Keras 3 removed."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(4, activation="relu", name="code")], name="encoder")
features = keras.Input(shape=(10,), name="features")
model = keras.Model(features, layers.Dense(1, name="score")(encoder(features)), name="scorer")
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(8, 10).astype("float32")
model.fit(x, np.random.rand(8, 1).astype("float32"), epochs=1, batch_size=8, verbose=0)

get_codes = keras.backend.function([model.input], [model.get_layer("encoder").output])
codes = get_codes([x])[0]
print(codes.shape)
