"""A custom positional-embedding layer sized for max_len=16 inside a nested encoder that receives 20-token sequences."""
import numpy as np
import keras
from keras import layers


class AddPositions(layers.Layer):
    def __init__(self, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.max_len, self.dim = max_len, dim

    def build(self, input_shape):
        self.table = self.add_weight(shape=(self.max_len, self.dim), name="table")

    def call(self, x):
        return x + self.table


tok = keras.Input(shape=(20,), dtype="int32", name="tok")
h = layers.Embedding(200, 8, name="emb")(tok)
h = AddPositions(16, 8, name="positions")(h)
encoder = keras.Model(tok, layers.GlobalAveragePooling1D(name="gap")(h), name="encoder")

text = keras.Input(shape=(20,), dtype="int32", name="text")
model = keras.Model(text, layers.Dense(2, activation="softmax", name="label")(encoder(text)), name="text_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(0, 200, size=(4, 20))
y = np.random.randint(0, 2, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
