"""Fixed: construct the layer, then call it on the list."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(16, 16, 1), name="img")
meta = keras.Input(shape=(3,), name="meta")
cnn = keras.Sequential([keras.Input(shape=(16, 16, 1)), layers.Conv2D(4, 3, name="conv"), layers.Flatten(name="flat")], name="cnn")
x = layers.Concatenate(axis=1, name="merge")([cnn(img), meta])
x = layers.Dense(8, activation="relu", name="fc")(x)
model = keras.Model([img, meta], layers.Dense(2, activation="softmax", name="probs")(x), name="fusion")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit([np.random.rand(8, 16, 16, 1), np.random.rand(8, 3)], np.random.randint(0, 2, (8,)), epochs=1, batch_size=8, verbose=0)
