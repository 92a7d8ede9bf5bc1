# After keras-team/tf-keras#575 (TimeDistributed around a model whose output shape cannot be computed
# from shapes): TimeDistributed of a subclassed model that defines no compute_output_shape.
import keras
import numpy as np
from keras import layers as L


class WordEncoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.emb = L.Embedding(30, 6)
        self.pool = L.GlobalMaxPooling1D()

    def call(self, chars):
        return self.pool(self.emb(chars))


text = keras.Input((5, 7), dtype="int32")
words = L.TimeDistributed(WordEncoder(name="word_enc"), name="per_word")(text)
model = keras.Model(text, L.Dense(2, activation="softmax")(L.LSTM(4)(words)), name="doc")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.randint(0, 30, (8, 5, 7)), np.random.randint(0, 2, (8,)), verbose=0)
