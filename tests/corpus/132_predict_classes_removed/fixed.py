"""Fixed: the class is the sigmoid output thresholded at 0.5."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
words = keras.Input(shape=(20,), name="words")
model = keras.Model(words, layers.Dense(1, activation="sigmoid", name="spam")(encoder(words)), name="spam_filter")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.rand(8, 20), np.random.randint(0, 2, size=(8, 1)), epochs=1, batch_size=8, verbose=0)
x_test = np.random.rand(4, 20)
labels = (model.predict(x_test) > 0.5).astype("int32")
