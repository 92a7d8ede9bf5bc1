"""Keyword spotter on MFCC frames: the attention scores inside the nested encoder come from
kernest.extract, a model with the same inputs (fixed)."""
import numpy as np
import keras
from keras import layers

import kernest

mfcc = keras.Input(shape=(49, 13), name="mfcc")
h = layers.Conv1D(32, 5, padding="same", activation="relu", name="frontend")(mfcc)
scores = layers.Dense(1, name="attn_scores")(h)
weights = layers.Softmax(axis=1, name="attn_weights")(scores)
pooled = layers.Dot(axes=1, name="attn_pool")([weights, h])
encoder = keras.Model(mfcc, layers.Flatten(name="flat")(pooled), name="encoder")

audio = keras.Input(shape=(49, 13), name="audio")
model = keras.Model(audio, layers.Dense(12, activation="softmax", name="keyword")(encoder(audio)), name="kws")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = np.random.rand(8, 49, 13).astype("float32")
y = np.random.randint(0, 12, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

attention = kernest.extract(model, "encoder/attn_scores").predict(x, verbose=0)
probs = model.predict(x, verbose=0)
assert attention.shape == (8, 49, 1)
