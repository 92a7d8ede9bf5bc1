"""Review sentiment: word ids start at 1 (0 is padding), so the sentence encoder's Embedding needs
len(vocab) + 1 = 11 rows (fixed)."""
import numpy as np
import keras
from keras import layers

vocab = ["the", "movie", "was", "great", "bad", "plot", "acting", "boring", "fun", "loved"]
word_index = {w: i + 1 for i, w in enumerate(vocab)}  # 1..10, 0 = padding

words = keras.Input(shape=(6,), dtype="int32", name="words")
h = layers.Embedding(11, 8, name="word_emb")(words)
h = layers.GlobalAveragePooling1D(name="mean_words")(h)
sentence_encoder = keras.Model(words, h, name="sentence_encoder")

review = keras.Input(shape=(6,), dtype="int32", name="review")
model = keras.Model(review, layers.Dense(1, activation="sigmoid", name="positive")(sentence_encoder(review)),
                    name="sentiment")
model.compile(optimizer="adam", loss="binary_crossentropy")

texts = [["the", "movie", "was", "loved"], ["boring", "plot"], ["fun", "acting"], ["bad", "movie", "loved"]]
x = np.zeros((4, 6), dtype="int32")
for row, text in enumerate(texts):
    x[row, : len(text)] = [word_index[w] for w in text]
y = np.array([[1], [0], [1], [0]], dtype="float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
