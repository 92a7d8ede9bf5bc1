"""Fixed: the reviews are padded to one length first."""
import numpy as np
import keras
from keras import layers

reviews = [[4, 12, 7], [3, 9], [15, 2, 8, 11], [6, 1, 13], [5, 10], [14, 3, 2, 9, 7], [8, 4], [12, 6, 1]]
labels = np.array([1, 0, 1, 0, 1, 1, 0, 0], dtype="float32")
encoder = keras.Sequential([keras.Input(shape=(None,)), layers.Embedding(20, 8, name="emb"),
                            layers.LSTM(6, name="lstm")], name="encoder")
tokens = keras.Input(shape=(None,), name="tokens")
model = keras.Model(tokens, layers.Dense(1, activation="sigmoid", name="sentiment")(encoder(tokens)), name="reviewer")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(keras.utils.pad_sequences(reviews), labels, epochs=1, verbose=0)
