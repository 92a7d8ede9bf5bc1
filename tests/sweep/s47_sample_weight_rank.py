"""A nested scorer is fit with sample weights of shape (n, 3) for a one-value output."""
import keras
import numpy as np
from keras import layers

i0 = keras.Input(shape=(10,))
scorer = keras.Model(i0, layers.Dense(1, name="s")(i0), name="scorer")
x = keras.Input(shape=(10,), name="x")
ranker = keras.Model(x, scorer(x), name="ranker")
ranker.compile(optimizer="sgd", loss="mse")
weights = np.random.rand(20, 3)
ranker.fit(np.random.rand(20, 10), np.random.rand(20, 1), sample_weight=weights, epochs=1, verbose=0)
