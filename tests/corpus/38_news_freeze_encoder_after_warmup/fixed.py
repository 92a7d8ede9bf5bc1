"""News-topic classifier: after one warm-up epoch the text encoder is frozen with kernest.freeze(...,
recompile=True), so the next fit really leaves it unchanged (fixed)."""
import numpy as np
import keras
from keras import layers

import kernest

encoder = keras.Sequential(
    [
        keras.Input(shape=(30,), dtype="int32", name="ids"),
        layers.Embedding(200, 16, name="tok_emb"),
        layers.Conv1D(16, 3, activation="relu", name="ngram_conv"),
        layers.GlobalMaxPooling1D(name="max_pool"),
    ],
    name="encoder",
)
headline = keras.Input(shape=(30,), dtype="int32", name="headline")
model = keras.Model(headline, layers.Dense(4, activation="softmax", name="topic")(encoder(headline)), name="news_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(1, 200, (8, 30))
y = np.random.randint(0, 4, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)  # warm-up

kernest.freeze(model, "encoder", recompile=True)  # keep the encoder fixed from now on
before = [np.array(w) for w in encoder.weights]
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
assert max(float(np.abs(np.array(w) - b).max()) for w, b in zip(encoder.weights, before)) == 0.0
