"""A ranker feeds the dict output of its nested towers model ({"text_vec", "meta_vec"}) to a nested head model whose
named inputs are "text" and "meta"; Keras matches dicts by key, so the head finds no data for its inputs."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")

features = keras.Input(shape=(6,), name="features")
towers = keras.Model(features, {"text_vec": layers.Dense(4, name="text_dense")(features),
                                "meta_vec": layers.Dense(2, name="meta_dense")(features)}, name="towers")
text = keras.Input(shape=(4,), name="text")
meta = keras.Input(shape=(2,), name="meta")
joined = layers.Concatenate(name="join")([text, meta])
head = keras.Model({"text": text, "meta": meta}, layers.Dense(1, name="score")(joined), name="head")

inputs = keras.Input(shape=(6,), name="features")
vecs = towers(inputs)
model = keras.Model(inputs, head(vecs), name="ranker")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
