"""(silent) A 4-class softmax head on a nested backbone is compiled with binary_crossentropy on one-hot labels."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(12, activation="relu", name="hidden")], name="backbone")
x_in = keras.Input(shape=(16,), name="features")
probs = layers.Dense(4, activation="softmax", name="topic")(backbone(x_in))
model = keras.Model(x_in, probs, name="topic_model")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
x = np.random.rand(8, 16).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 4, size=(8,)), 4)
model.fit(x, y, epochs=1, batch_size=8, verbose=0)
