"""(silent) A nested classifier head ends in softmax, and the model is compiled with SparseCategoricalCrossentropy(from_logits=True)."""
import numpy as np
import keras
from keras import layers

z = keras.Input(shape=(20,), name="z")
h = layers.Dense(16, activation="relu", name="hidden")(z)
head = keras.Model(z, layers.Dense(6, activation="softmax", name="probs")(h), name="head")

x_in = keras.Input(shape=(20,), name="x_in")
model = keras.Model(x_in, head(x_in), name="classifier")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

x = np.random.rand(8, 20).astype("float32")
y = np.random.randint(0, 6, size=(8,))
model.fit(x, y, epochs=1, batch_size=8, verbose=0)
