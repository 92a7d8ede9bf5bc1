"""News topics: integer topic ids (0..4) are given to a nested classifier compiled with categorical_crossentropy."""
import numpy as np
import keras
from keras import layers

bow_in = keras.Input(shape=(50,), name="bow_in")
article_encoder = keras.Model(bow_in, layers.Dense(16, activation="relu", name="hidden")(bow_in), name="article_encoder")

feat_in = keras.Input(shape=(16,), name="feat_in")
topic_head = keras.Model(feat_in, layers.Dense(5, activation="softmax", name="topic_probs")(feat_in), name="topic_head")

bow = keras.Input(shape=(50,), name="bow")
model = keras.Model(bow, topic_head(article_encoder(bow)), name="news_clf")
model.compile(optimizer="adam", loss="categorical_crossentropy")

x = np.random.rand(8, 50).astype("float32")
y = np.random.randint(0, 5, (8, 1))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
