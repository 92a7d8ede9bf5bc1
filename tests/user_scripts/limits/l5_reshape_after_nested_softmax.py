"""Limit 5: mixed_float16; a nested topic head ends in softmax, the outer model casts it to float32 after."""
import numpy as np
import keras
from keras import layers

keras.mixed_precision.set_global_policy("mixed_float16")
head = keras.Sequential([keras.Input((16,)), layers.Dense(5, activation="softmax", name="topic_probs")],
                        name="topic_head")
doc = keras.Input((32,), name="doc")
h = layers.Dense(16, activation="relu", name="encode")(doc)
out = layers.Activation("linear", dtype="float32", name="to_float32")(head(h))
model = keras.Model(doc, out, name="topics")
model.compile("adam", "categorical_crossentropy")
model.fit(np.random.rand(8, 32), np.eye(5)[np.arange(8) % 5], epochs=1, verbose=0)
