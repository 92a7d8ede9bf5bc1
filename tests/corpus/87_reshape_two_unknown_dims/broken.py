"""A Reshape((-1, -1, 1)) turns the nested embedder's (batch, 25, 10) vectors into an image for a Conv2D scorer: two -1s."""
import numpy as np
import keras
from keras import layers

ids = keras.Input(shape=(25,), dtype="int32", name="ids")
embedder = keras.Model(ids, layers.Embedding(300, 10, name="emb")(ids), name="embedder")
scorer = keras.Sequential(
    [layers.Conv2D(4, 3, activation="relu", name="grid_conv"), layers.GlobalMaxPooling2D(name="gmp")], name="scorer"
)

tokens = keras.Input(shape=(25,), dtype="int32", name="tokens")
grid = layers.Reshape((-1, -1, 1), name="to_grid")(embedder(tokens))
model = keras.Model(tokens, layers.Dense(2, activation="softmax", name="label")(scorer(grid)), name="grid_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(0, 300, size=(4, 25))
y = np.random.randint(0, 2, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
