"""Word + char representations summed by a custom masked merge layer. The char branch is a nested model whose
Embedding has mask_zero=True, but the mask that reaches the merge layer from that nested branch is None, and
the layer's compute_mask unpacks and ANDs the two masks without checking."""
import numpy as np
import keras
from keras import layers


class GatedSum(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        word_vec, char_vec = inputs
        return word_vec + char_vec

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        word_mask, char_mask = mask
        return keras.ops.logical_and(word_mask, char_mask)


char_ids = keras.Input(shape=(12,), dtype="int32", name="char_ids")
char_encoder = keras.Model(char_ids, layers.Embedding(40, 16, mask_zero=True, name="char_emb")(char_ids),
                           name="char_encoder")

tokens = keras.Input(shape=(12,), dtype="int32", name="tokens")
word_vec = layers.Embedding(60, 16, mask_zero=True, name="word_emb")(tokens)
merged = GatedSum(name="gate_sum")([word_vec, char_encoder(tokens)])
h = layers.LSTM(16, name="lstm")(merged)
model = keras.Model(tokens, layers.Dense(3, activation="softmax", name="intent")(h), name="intent_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(1, 40, (8, 12))
x[:, 9:] = 0
y = np.random.randint(0, 3, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
