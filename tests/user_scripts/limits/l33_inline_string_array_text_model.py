"""Limit 7 (round 5): a nested review classifier reads raw text (keras.Input dtype string, TextVectorization
inside); the reviews are written inline in fit as a NumPy string array, not as a named array."""
import numpy as np
import keras
from keras import layers

vectorize = layers.TextVectorization(max_tokens=50, output_sequence_length=6, name="vectorize")
vectorize.adapt(["great pacing and cast", "dull plot", "loved it", "a waste of time"])

t = keras.Input((1,), dtype="string", name="review")
h = layers.GlobalAveragePooling1D(name="pool")(layers.Embedding(50, 8, name="embed")(vectorize(t)))
reader = keras.Model(t, h, name="review_reader")
r = keras.Input((1,), dtype="string", name="text")
classifier = keras.Model(r, layers.Dense(1, activation="sigmoid", name="positive")(reader(r)), name="classifier")
classifier.compile("adam", "binary_crossentropy")
classifier.fit(np.array([["great pacing and cast"], ["dull plot"], ["loved it"], ["a waste of time"]]),
               np.array([1.0, 0.0, 1.0, 0.0]), epochs=1, verbose=0)
