"""A pre-built LayerNormalization head for 16 features gets 24."""
import keras
from keras import layers

h_in = keras.Input(shape=(16,))
normed = keras.Model(h_in, layers.Dense(4, name="out")(layers.LayerNormalization(name="ln")(h_in)), name="normed")
proj = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(24, name="wide")], name="proj")
i = keras.Input(shape=(10,), name="i")
model = keras.Model(i, normed(proj(i)), name="net")
