"""GRU fed a flat (batch, 24) vector."""
import keras
from keras import layers

pooled = keras.Sequential([keras.Input(shape=(30,)), layers.Dense(24, name="proj")], name="pooled")
gru_head = keras.Sequential([layers.GRU(6, name="gru")], name="gru_head")
f = keras.Input(shape=(30,), name="f")
model = keras.Model(f, gru_head(pooled(f)), name="net")
