"""Fixed: the Bidirectional merges its two directions with merge_mode="concat"."""
import numpy as np
import keras
from keras import layers

seq = keras.Input(shape=(15, 6), name="seq")
fwd_bwd = layers.Bidirectional(layers.GRU(10, name="gru"), merge_mode="concat", name="bigru")(seq)
encoder = keras.Model(seq, fwd_bwd, name="encoder")

signal = keras.Input(shape=(15, 6), name="signal")
out = layers.Dense(3, activation="softmax", name="label")(encoder(signal))
model = keras.Model(signal, out, name="tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(4, 15, 6), np.random.randint(0, 3, (4,)), epochs=1, batch_size=4, verbose=0)
