"""A stateful GRU needs a fixed batch size, but the tracker's Input declares none."""
import numpy as np
import keras
from keras import layers

seq_in = keras.Input(shape=(5, 3), name="seq_in")
tracker = keras.Model(seq_in, layers.GRU(8, stateful=True, name="gru")(seq_in), name="tracker")
model = keras.Sequential([tracker, layers.Dense(1, name="next")], name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 5, 3), np.random.rand(8, 1), epochs=1, batch_size=4, shuffle=False, verbose=0)
