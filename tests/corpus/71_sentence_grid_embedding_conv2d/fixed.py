"""Sentence grid classifier: an embedder sub-model (ids -> (batch, 20, 16) vectors) feeds a Conv2D sub-model directly."""
import numpy as np
import keras
from keras import layers

ids = keras.Input(shape=(20,), dtype="int32", name="ids")
embedder = keras.Model(ids, layers.Embedding(100, 16, name="emb")(ids), name="embedder")

cnn = keras.Sequential(
    [
        layers.Conv2D(8, (3, 3), activation="relu", name="grid_conv"),
        layers.GlobalMaxPooling2D(name="pool"),
    ],
    name="cnn",
)

tokens = keras.Input(shape=(20,), dtype="int32", name="tokens")
grid = layers.Reshape((20, 16, 1), name="add_channel")(embedder(tokens))
out = layers.Dense(2, activation="softmax", name="label")(cnn(grid))
model = keras.Model(tokens, out, name="sentence_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(0, 100, size=(4, 20))
y = np.random.randint(0, 2, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
