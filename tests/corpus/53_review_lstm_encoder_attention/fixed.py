"""Product reviews: self-attention over a nested LSTM encoder's output, but the LSTM returns only its last state."""
import numpy as np
import keras
from keras import layers

words_in = keras.Input(shape=(10, 16), name="words_in")
review_encoder = keras.Model(words_in, layers.LSTM(32, return_sequences=True, name="lstm")(words_in), name="review_encoder")

words = keras.Input(shape=(10, 16), name="words")
h = review_encoder(words)
ctx = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="attn")(h, h)
rating = layers.Dense(1, name="rating")(layers.Flatten(name="flat")(ctx))
model = keras.Model(words, rating, name="review_rater")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 10, 16).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
