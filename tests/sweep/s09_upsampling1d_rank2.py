"""UpSampling1D expander fed a flat (batch, 12) code."""
import keras
from keras import layers

coder = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(12, name="code")], name="coder")
expander = keras.Sequential([layers.UpSampling1D(2, name="stretch"), layers.Conv1D(1, 3, padding="same")], name="expander")
z = keras.Input(shape=(16,), name="z")
model = keras.Model(z, expander(coder(z)), name="net")
