"""MultiHeadAttention cross block gets a pooled (batch, 16) query."""
import keras
from keras import layers

q_in, c_in = keras.Input(shape=(8, 16)), keras.Input(shape=(10, 16))
cross = keras.Model([q_in, c_in], layers.MultiHeadAttention(2, 8, name="mha")(q_in, c_in), name="cross")
pool_enc = keras.Sequential([keras.Input(shape=(8, 16)), layers.GlobalAveragePooling1D(name="gap")], name="pool_enc")
a, b = keras.Input(shape=(8, 16), name="a"), keras.Input(shape=(10, 16), name="b")
model = keras.Model([a, b], cross([pool_enc(a), b]), name="net")
