"""Per-step tagging: a nested GRU encoder returns only its last state (batch, 20), and the outer TimeDistributed(Dense) needs (batch, steps, features)."""
import numpy as np
import keras
from keras import layers

s = keras.Input(shape=(15, 7), name="s")
encoder = keras.Model(s, layers.GRU(20, name="gru")(s), name="encoder")

frames = keras.Input(shape=(15, 7), name="frames")
tags = layers.TimeDistributed(layers.Dense(4, activation="softmax"), name="per_step")(encoder(frames))
model = keras.Model(frames, tags, name="step_tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 15, 7).astype("float32")
y = np.random.randint(0, 4, size=(4, 15))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
