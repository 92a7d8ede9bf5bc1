"""A pre-built classifier for 16 features gets a 12-wide encoder output."""
import keras
from keras import layers

h = keras.Input(shape=(16,))
classifier = keras.Model(h, layers.Dense(3, name="logits")(h), name="classifier")
encoder = keras.Sequential([keras.Input(shape=(9,)), layers.Dense(12, name="enc")], name="encoder")
i = keras.Input(shape=(9,), name="i")
model = keras.Model(i, classifier(encoder(i)), name="net")
