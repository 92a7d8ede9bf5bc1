"""A trigger-word detector labels every time step (sparse labels of shape (n, steps)); a nested GRU tagger gives a
softmax per step, and fit gets class_weight to weigh the rare words up: class weights need one label per sample."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12, 4).astype("float32")
y = np.random.randint(0, 3, size=(8, 12))
tagger = keras.Sequential([keras.Input(shape=(12, 4)), layers.GRU(6, return_sequences=True, name="gru")], name="tagger")
audio = keras.Input(shape=(12, 4), name="audio")
model = keras.Model(audio, layers.Dense(3, activation="softmax", name="word")(tagger(audio)), name="trigger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, class_weight={0: 1.0, 1: 50.0, 2: 50.0}, epochs=1, verbose=0)
