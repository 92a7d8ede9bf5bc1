"""Dot(axes=1) of two nested 3-D towers, (batch, 10, 16) questions and (batch, 14, 16) passages: axis 1 differs, the user meant the features."""
import numpy as np
import keras
from keras import layers

q = keras.Input(shape=(10,), dtype="int32", name="q")
q_tower = keras.Model(q, layers.Embedding(100, 16, name="q_emb")(q), name="q_tower")
p = keras.Input(shape=(14,), dtype="int32", name="p")
p_tower = keras.Model(p, layers.Embedding(100, 16, name="p_emb")(p), name="p_tower")

question = keras.Input(shape=(10,), dtype="int32", name="question")
passage = keras.Input(shape=(14,), dtype="int32", name="passage")
scores = layers.Dot(axes=1, name="match")([q_tower(question), p_tower(passage)])
out = layers.Dense(1, activation="sigmoid", name="relevant")(layers.Flatten(name="flat")(scores))
model = keras.Model([question, passage], out, name="qa")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([np.random.randint(0, 100, (4, 10)), np.random.randint(0, 100, (4, 14))], np.random.randint(0, 2, (4, 1)),
          epochs=1, batch_size=4, verbose=0)
