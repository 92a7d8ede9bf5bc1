"""A subclassed recommender with a nested tower is trained and its weights saved; a fresh instance is then given
load_weights before it has seen any input, so it has no variables to load into."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

user_items = np.random.rand(8, 6).astype("float32")
ratings = np.random.rand(8, 1).astype("float32")


class Recommender(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tower = keras.Sequential([layers.Dense(8, activation="relu", name="hidden")], name="tower")
        self.score = layers.Dense(1, name="score")

    def call(self, inputs):
        return self.score(self.tower(inputs))


trained = Recommender(name="recommender")
trained.compile(optimizer="adam", loss="mse")
trained.fit(user_items, ratings, epochs=1, batch_size=len(user_items), verbose=0)
path = os.path.join(tempfile.mkdtemp(), "recommender.weights.h5")
trained.save_weights(path)

model = Recommender(name="recommender")
model.load_weights(path)
model.compile(optimizer="adam", loss="mse")
model.fit(user_items, ratings, epochs=1, batch_size=len(user_items), verbose=0)
