# After keras-team/keras#20325 and keras-team/keras#1675 (concatenated embeddings fed to a model built for one): the inner functional
# scorer is built for the 16-wide user embedding, but the outer call concatenates user and item embeddings (32).
import keras
import numpy as np
from keras import layers as L

emb_in = keras.Input((16,))
scorer = keras.Model(emb_in, L.Dense(1, activation="sigmoid")(L.Dense(8, activation="relu")(emb_in)), name="scorer")


class Recommender(keras.Model):
    def __init__(self, scorer, **kwargs):
        super().__init__(**kwargs)
        self.user_emb = L.Embedding(50, 16)
        self.item_emb = L.Embedding(80, 16)
        self.scorer = scorer

    def call(self, inputs):
        u = self.user_emb(inputs[:, 0])
        i = self.item_emb(inputs[:, 1])
        return self.scorer(keras.ops.concatenate([u, i], axis=-1))


model = Recommender(scorer, name="recommender")
model.compile("adam", "binary_crossentropy")
pairs = np.stack([np.random.randint(0, 50, 64), np.random.randint(0, 80, 64)], axis=1)
model.fit(pairs, np.random.randint(0, 2, (64, 1)), epochs=1, verbose=0)
