"""A two-output feature model (returns [pooled, logits]) is stacked in a Sequential before a Dense."""
import numpy as np
import keras
from keras import layers

feat_in = keras.Input(shape=(10,), name="feat_in")
h = layers.Dense(8, name="hidden")(feat_in)
features = keras.Model(feat_in, [h, layers.Dense(2, name="aux")(h)], name="features")
model = keras.Sequential([keras.Input(shape=(10,)), features, layers.Dense(1, name="out")], name="stack")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 10), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
