"""Review scoring: a sub-model built with dict inputs {"text", "meta"} is called with a list [text, meta]."""
import numpy as np
import keras
from keras import layers

text_in = keras.Input(shape=(12,), name="text")
meta_in = keras.Input(shape=(3,), name="meta")
joined = layers.Concatenate(name="join")([layers.Dense(8, activation="relu", name="text_proj")(text_in), meta_in])
scorer = keras.Model({"text": text_in, "meta": meta_in}, layers.Dense(1, name="stars")(joined), name="scorer")

words = keras.Input(shape=(12,), name="words")
stats = keras.Input(shape=(3,), name="stats")
model = keras.Model([words, stats], scorer([words, stats]), name="review_model")
model.compile(optimizer="adam", loss="mse")

x1 = np.random.rand(8, 12).astype("float32")
x2 = np.random.rand(8, 3).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
