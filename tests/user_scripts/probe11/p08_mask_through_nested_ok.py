# CORRECT model (false-alarm check). Masking through a nested model (keras.io "Masking and padding"
# guide): the inner model's Embedding(mask_zero=True) mask reaches the outer LSTM.
import keras
import numpy as np
from keras import layers as L

ids = keras.Input((None,), dtype="int32")
emb = keras.Model(ids, L.Embedding(50, 8, mask_zero=True)(ids), name="embedder")
seq = keras.Input((None,), dtype="int32", name="tokens")
h = L.LSTM(8)(emb(seq))
model = keras.Model(seq, L.Dense(1, activation="sigmoid")(h), name="tagger")
model.compile("adam", "binary_crossentropy")
x = np.random.randint(1, 50, (10, 7))
x[:, 5:] = 0
model.fit(x, np.random.randint(0, 2, (10, 1)), verbose=0)
