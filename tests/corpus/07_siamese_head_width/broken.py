"""Siamese matcher for customer records: the shared tower was slimmed from 32 to 24 units, the head was not."""
import numpy as np
import keras
from keras import layers

profile = keras.Input(shape=(16,), name="profile")
tower = keras.Model(profile, layers.Dense(24, activation="relu", name="embed")(profile), name="tower")

emb_a = keras.Input(shape=(32,))
emb_b = keras.Input(shape=(32,))
joined = layers.Concatenate(name="join")([emb_a, emb_b])
same = layers.Dense(1, activation="sigmoid", name="same")(layers.Dense(16, activation="relu", name="mix")(joined))
head = keras.Model([emb_a, emb_b], same, name="head")

left = keras.Input(shape=(16,), name="left")
right = keras.Input(shape=(16,), name="right")
model = keras.Model([left, right], head([tower(left), tower(right)]), name="matcher")
model.compile(optimizer="adam", loss="binary_crossentropy")

a = np.random.rand(8, 16).astype("float32")
b = np.random.rand(8, 16).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
model.fit([a, b], y, epochs=1, batch_size=len(a), verbose=0)
