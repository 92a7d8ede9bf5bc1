"""A fusion head built on dict inputs {"text", "meta"} is nested in a bigger model and called with a list
[text_vec, meta_vec] in the other order from the one its dict was written in."""
import numpy as np
import keras
from keras import layers

head_in = {"meta": keras.Input((4,), name="meta"), "text": keras.Input((16,), name="text")}
fused = layers.Concatenate(name="fuse")([layers.Dense(8, name="text_proj")(head_in["text"]), head_in["meta"]])
head = keras.Model(head_in, layers.Dense(1, activation="sigmoid", name="spam")(fused), name="head")

text = keras.Input((30,), name="text_feats")
meta = keras.Input((4,), name="meta_feats")
text_vec = layers.Dense(16, activation="relu", name="text_enc")(text)
model = keras.Model([text, meta], head([text_vec, meta]), name="filter")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([np.random.rand(32, 30), np.random.rand(32, 4)], np.random.randint(0, 2, (32, 1)), epochs=1, verbose=0)
