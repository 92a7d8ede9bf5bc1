"""Fixed: the Sequential holds a one-output view of the feature model."""
import numpy as np
import keras
from keras import layers

feat_in = keras.Input(shape=(10,), name="feat_in")
h = layers.Dense(8, name="hidden")(feat_in)
features = keras.Model(feat_in, [h, layers.Dense(2, name="aux")(h)], name="features")
model = keras.Sequential([keras.Input(shape=(10,)), keras.Model(features.input, features.outputs[0]), layers.Dense(1, name="out")], name="stack")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 10), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
