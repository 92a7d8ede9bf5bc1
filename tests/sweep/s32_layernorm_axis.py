"""LayerNormalization(axis=2) on a flat (batch, 12) vector."""
import keras
from keras import layers

emb = keras.Sequential([keras.Input(shape=(7,)), layers.Dense(12, name="proj")], name="emb")
ln_block = keras.Sequential([layers.LayerNormalization(axis=2, name="ln")], name="ln_block")
i = keras.Input(shape=(7,), name="i")
model = keras.Model(i, ln_block(emb(i)), name="net")
