# CORRECT model (false-alarm check). Hierarchical attention style (keras-team/keras#5687 family): a sentence
# encoder model applied to every sentence of a document with TimeDistributed, then a document GRU.
import keras
import numpy as np
from keras import layers as L

sent = keras.Input((10,), dtype="int32")
h = L.Embedding(500, 16)(sent)
h = L.Bidirectional(L.GRU(8))(h)
sentence_encoder = keras.Model(sent, h, name="sentence_encoder")
doc = keras.Input((6, 10), dtype="int32", name="doc")
per_sentence = L.TimeDistributed(sentence_encoder, name="per_sentence")(doc)
doc_vec = L.GRU(8)(per_sentence)
model = keras.Model(doc, L.Dense(2, activation="softmax")(doc_vec), name="han")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.randint(0, 500, (8, 6, 10)), np.random.randint(0, 2, (8,)), epochs=1, verbose=0)
