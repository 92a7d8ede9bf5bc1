"""Limit 2 (round 7): a review classifier whose nested encoder reads the token ids (0-2999) with a Dense layer:
nothing embeds them, so id 2950 counts as 2950 times id 1 and similar words get unrelated inputs. Nothing fails."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(4)
review_ids = rng.integers(1, 3000, size=(96, 40)).astype("int32")
sentiment = rng.integers(0, 2, size=(96, 1)).astype("float32")

tokens = keras.Input((40,), dtype="int32", name="tokens")
h = layers.Dense(64, activation="relu", name="proj")(tokens)
encoder = keras.Model(tokens, layers.Dense(32, activation="relu", name="summary")(h), name="review_encoder")

review = keras.Input((40,), dtype="int32", name="review")
classifier = keras.Model(review, layers.Dense(1, activation="sigmoid", name="positive")(encoder(review)),
                         name="review_classifier")
classifier.compile("adam", "binary_crossentropy", metrics=["accuracy"])
classifier.fit(review_ids, sentiment, batch_size=32, epochs=1, verbose=0)
