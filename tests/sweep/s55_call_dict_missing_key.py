"""An outer model with named inputs (title, body) is called with a dict that has only "title"."""
import keras
import numpy as np
from keras import layers

t_in = keras.Input(shape=(16,))
title_enc = keras.Model(t_in, layers.Dense(4, name="t")(t_in), name="title_enc")
title, body = keras.Input(shape=(16,), name="title"), keras.Input(shape=(32,), name="body")
ranker = keras.Model({"title": title, "body": body},
                     layers.Dense(1, name="r")(layers.Concatenate()([title_enc(title), body])), name="ranker")
titles = np.random.rand(3, 16).astype("float32")
ranker({"title": titles})
