"""UnitNormalization(axis=2) on a flat (batch, 12) embedding."""
import keras
from keras import layers

emb = keras.Sequential([keras.Input(shape=(7,)), layers.Dense(12, name="proj")], name="emb")
norm_block = keras.Sequential([layers.UnitNormalization(axis=2, name="unit")], name="norm_block")
i = keras.Input(shape=(7,), name="i")
model = keras.Model(i, norm_block(emb(i)), name="net")
