"""A subclassed block with GroupQueryAttention self-attention gets a flat (batch, 32) vector."""
import keras
from keras import layers


class Block(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.gqa = layers.GroupQueryAttention(8, num_query_heads=4, num_key_value_heads=2, name="gqa")

    def call(self, x):
        return self.gqa(x, x)


summary = keras.Sequential([keras.Input(shape=(40,)), layers.Dense(32, name="proj")], name="summary")
block = Block(name="block")
i = keras.Input(shape=(40,), name="i")
model = keras.Model(i, block(summary(i)), name="net")
