"""A two-input model on nested towers: the text array and the labels are cut to a training split, the metadata array is not."""
import numpy as np
import keras
from keras import layers

text_tower = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu")], name="text_tower")
meta_tower = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(4, activation="relu")], name="meta_tower")
text_in = keras.Input(shape=(12,), name="text")
meta_in = keras.Input(shape=(3,), name="meta")
joined = layers.Concatenate(name="join")([text_tower(text_in), meta_tower(meta_in)])
model = keras.Model([text_in, meta_in], layers.Dense(1, activation="sigmoid", name="label")(joined), name="ranker")
model.compile(optimizer="adam", loss="binary_crossentropy")

texts = np.random.rand(8, 12).astype("float32")
meta = np.random.rand(8, 3).astype("float32")
labels = np.random.randint(0, 2, size=(8, 1)).astype("float32")
texts_train, labels_train = texts[:6], labels[:6]
model.fit([texts_train, meta], labels_train, epochs=1, batch_size=6, verbose=0)
