"""Promoter classifier: one-hot encoded DNA (50 bases x 4) is projected by a bias-free Dense(16), which is what an
Embedding(4, 16) does to one-hot rows (fixed)."""
import numpy as np
import keras
from keras import layers

motif_encoder = keras.Sequential(
    [
        keras.Input(shape=(50, 4), name="bases"),
        layers.Dense(16, use_bias=False, name="base_emb"),
        layers.LSTM(16, name="lstm"),
    ],
    name="motif_encoder",
)

seq = keras.Input(shape=(50, 4), name="dna_onehot")
model = keras.Model(seq, layers.Dense(1, activation="sigmoid", name="promoter")(motif_encoder(seq)), name="promoter_clf")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.eye(4, dtype="float32")[np.random.randint(0, 4, (8, 50))]
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
