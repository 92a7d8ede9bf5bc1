"""A two-output tagger (nested heads) compiled with a list of three losses."""
import keras
import numpy as np
from keras import layers

s_in = keras.Input(shape=(9,))
pos_head = keras.Model(s_in, layers.Dense(5, activation="softmax", name="p")(s_in), name="pos_head")
t_in = keras.Input(shape=(9,))
ner_head = keras.Model(t_in, layers.Dense(2, activation="softmax", name="n")(t_in), name="ner_head")
tok = keras.Input(shape=(14,), name="tok")
h = layers.Dense(9, name="enc")(tok)
tagger = keras.Model(tok, [pos_head(h), ner_head(h)], name="tagger")
tagger.compile(optimizer="adam", loss=["categorical_crossentropy", "categorical_crossentropy", "mse"])
tagger.fit(np.random.rand(6, 14), [np.random.rand(6, 5), np.random.rand(6, 2)], epochs=1, verbose=0)
