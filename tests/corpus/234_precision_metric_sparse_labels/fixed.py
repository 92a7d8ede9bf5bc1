"""Fixed: the labels are one-hot, as Precision needs, and the loss is the categorical one that reads them."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 3, size=(8,))
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(6, activation="relu", name="hidden")], name="encoder")
tokens = keras.Input(shape=(12,), name="tokens")
model = keras.Model(tokens, layers.Dense(3, activation="softmax", name="queue")(encoder(tokens)), name="router")
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[keras.metrics.Precision()])
model.fit(x, keras.utils.to_categorical(y, 3), epochs=1, batch_size=len(x), verbose=0)
