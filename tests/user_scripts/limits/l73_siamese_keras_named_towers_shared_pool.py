"""A siamese duplicate-question matcher builds its encoder twice (Keras names them `functional`, `functional_1`):
both sides are questions drawn from one pool, so the two inputs are samples of one kind and should share one
encoder. The input names sound like roles ("question", "candidate"); the data shows one pool."""
import numpy as np
import keras
from keras import layers

pool = np.random.randint(1, 500, size=(40, 10))
pairs = np.random.randint(0, 40, size=(64, 2))


def encoder():
    ids = keras.Input((10,), dtype="int32")
    return keras.Model(ids, layers.GlobalAveragePooling1D()(layers.Embedding(500, 16)(ids)))


question = keras.Input((10,), dtype="int32", name="question")
candidate = keras.Input((10,), dtype="int32", name="candidate")
similar = layers.Dot(axes=1, normalize=True, name="cosine")([encoder()(question), encoder()(candidate)])
model = keras.Model([question, candidate], layers.Dense(1, activation="sigmoid", name="duplicate")(similar),
                    name="matcher")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([pool[pairs[:, 0]], pool[pairs[:, 1]]], np.random.randint(0, 2, size=(64, 1)), epochs=1, verbose=0)
