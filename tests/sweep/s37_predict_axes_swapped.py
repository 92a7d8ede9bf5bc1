"""A Conv1D tagger for (20 steps, 1 channel) predicts on (n, 1, 20) arrays."""
import keras
import numpy as np
from keras import layers

t_in = keras.Input(shape=(20, 1))
tagger = keras.Model(t_in, layers.Conv1D(2, 3, padding="same", name="conv")(t_in), name="tagger")
i = keras.Input(shape=(20, 1), name="i")
net = keras.Model(i, tagger(i), name="net")
signals = np.random.rand(5, 1, 20).astype("float32")
net.predict(signals, verbose=0)
