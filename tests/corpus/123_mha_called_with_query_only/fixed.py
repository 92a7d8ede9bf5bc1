"""Fixed: self-attention passes the sequence as query and value."""
import numpy as np
import keras
from keras import layers

class TransformerBlock(layers.Layer):
    def __init__(self, width, heads, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads, name="att")
        self.ffn = layers.Dense(width, name="ffn")
        self.norm = layers.LayerNormalization(name="norm")

    def call(self, inputs):
        attended = self.att(inputs, inputs)
        return self.norm(inputs + self.ffn(attended))


tokens = keras.Input(shape=(12,), name="tokens")
x = layers.Embedding(100, 16, name="embed")(tokens)
x = TransformerBlock(16, 2, name="block")(x)
out = layers.Dense(1, activation="sigmoid", name="score")(layers.GlobalAveragePooling1D(name="pool")(x))
model = keras.Model(tokens, out, name="sentiment")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.randint(0, 100, size=(8, 12)), np.random.randint(0, 2, size=(8, 1)), epochs=1, batch_size=8, verbose=0)
