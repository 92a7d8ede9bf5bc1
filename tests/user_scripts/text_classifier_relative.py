"""A text classifier that reads its label list from data/labels.txt, a path relative to this file's folder,
and imports a helper module that lives beside it."""
import os

import keras
from keras import layers

from text_helpers import fake_token_ids, read_labels

VOCAB, MAXLEN = 200, 12
labels = read_labels("data/labels.txt")
print(f"{len(labels)} classes:", labels, "cwd:", os.getcwd())

encoder = keras.Sequential(
    [layers.Embedding(VOCAB, 16, name="embed"), layers.GlobalAveragePooling1D(name="pool")], name="text_encoder"
)
tokens = keras.Input((MAXLEN,), dtype="int32", name="tokens")
head = layers.Dense(len(labels), activation="softmax", name="label")
classifier = keras.Model(tokens, head(encoder(tokens)), name="text_classifier")
classifier.compile("adam", "sparse_categorical_crossentropy")
classifier.fit(fake_token_ids(256, MAXLEN, VOCAB), keras.ops.zeros((256,)), epochs=20, verbose=2)
