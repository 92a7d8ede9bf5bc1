"""Siamese duplicate-question detector: a helper builds the second branch on its own keras.Input."""
import numpy as np
import keras
from keras import layers

tokens = keras.Input(shape=(20,), dtype="int32", name="q_tokens")
h = layers.Embedding(300, 16, name="word_emb")(tokens)
h = layers.GlobalAveragePooling1D(name="avg")(h)
encoder = keras.Model(tokens, layers.Dense(16, activation="tanh", name="proj")(h), name="question_encoder")

left = keras.Input(shape=(20,), dtype="int32", name="left")
right = keras.Input(shape=(20,), dtype="int32", name="right")


def encode_candidate():
    candidate = keras.Input(shape=(20,), dtype="int32", name="candidate")
    return encoder(candidate)


a = encoder(left)
b = encode_candidate()
diff = layers.Subtract(name="diff")([a, b])
score = layers.Dense(1, activation="sigmoid", name="same")(diff)
model = keras.Model([left, right], score, name="duplicate_detector")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = [np.random.randint(1, 300, (8, 20)), np.random.randint(1, 300, (8, 20))]
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(y), verbose=0)
