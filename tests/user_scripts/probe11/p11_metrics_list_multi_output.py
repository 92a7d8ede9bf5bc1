# After tensorflow/tensorflow#48511 / keras 3 migration threads: metrics=["accuracy"] (one entry) on a model
# with two outputs.
import keras
import numpy as np
from keras import layers as L

inp = keras.Input((12,))
shared = keras.Model(inp, L.Dense(16, activation="relu")(inp), name="shared")
x = keras.Input((12,))
z = shared(x)
a = L.Dense(3, activation="softmax", name="colour")(z)
b = L.Dense(2, activation="softmax", name="size")(z)
model = keras.Model(x, [a, b], name="tagger")
model.compile("adam", loss=["sparse_categorical_crossentropy", "sparse_categorical_crossentropy"],
              metrics=["accuracy"])
model.fit(np.random.rand(16, 12), [np.random.randint(0, 3, (16,)), np.random.randint(0, 2, (16,))], verbose=0)
