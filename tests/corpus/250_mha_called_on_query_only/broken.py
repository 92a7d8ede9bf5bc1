"""A nested transformer block calls its MultiHeadAttention on the sequence alone, self.mha(x), as if it were a
self-attention layer: Keras's MultiHeadAttention needs the query and the value (missing a required argument: 'value')."""
import numpy as np
import keras
from keras import layers


class EncoderBlock(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
        self.norm = layers.LayerNormalization(name="norm")

    def call(self, x):
        return self.norm(x + self.mha(x))


x = np.random.rand(8, 5, 8).astype("float32")
y = np.random.rand(8, 1).astype("float32")
tokens = keras.Input(shape=(5, 8), name="tokens")
h = EncoderBlock(name="block")(tokens)
model = keras.Model(tokens, layers.Dense(1, name="score")(layers.GlobalAveragePooling1D()(h)), name="ranker")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
