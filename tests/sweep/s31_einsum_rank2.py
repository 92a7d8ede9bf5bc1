"""EinsumDense("abc,cd->abd") token projection fed a pooled (batch, 16) vector."""
import keras
from keras import layers

tokens = keras.Sequential([keras.Input(shape=(5, 4)), layers.Dense(16, name="emb"), layers.GlobalAveragePooling1D(name="pool")], name="tokens")
head = keras.Sequential([layers.EinsumDense("abc,cd->abd", output_shape=(None, 8), name="proj")], name="head")
i = keras.Input(shape=(5, 4), name="i")
model = keras.Model(i, head(tokens(i)), name="net")
