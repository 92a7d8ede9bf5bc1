# CORRECT model (false-alarm check). keras.io "Masking and padding" + MultiHeadAttention: the nested encoder's
# Embedding(mask_zero=True) mask reaches self-attention and the pooling, with no explicit attention_mask.
import keras
import numpy as np
from keras import layers as L

tok = keras.Input((None,), dtype="int32")
encoder = keras.Model(tok, L.Embedding(300, 16, mask_zero=True)(tok), name="encoder")
words = keras.Input((None,), dtype="int32", name="words")
e = encoder(words)
att = L.MultiHeadAttention(num_heads=2, key_dim=8, name="self_att")(e, e)
h = L.LayerNormalization()(L.Add()([e, att]))
h = L.GlobalAveragePooling1D()(h)
model = keras.Model(words, L.Dense(3, activation="softmax")(h), name="intent")
model.compile("adam", "sparse_categorical_crossentropy")
x = np.random.randint(1, 300, (16, 12))
x[:, 8:] = 0
model.fit(x, np.random.randint(0, 3, (16,)), epochs=1, verbose=0)
print(model.predict(x[:2], verbose=0).shape)
