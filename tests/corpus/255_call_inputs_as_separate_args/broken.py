"""A subclassed recommender takes its two inputs as two parameters, call(self, user, item), and is fitted on
[users, items]; Keras calls a model with one structure of inputs, so 'item' is missing."""
import numpy as np
import keras
from keras import layers


class Recommender(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_tower = layers.Dense(4, name="user_tower")
        self.item_tower = layers.Dense(4, name="item_tower")
        self.score = layers.Dense(1, name="score")

    def call(self, user, item):
        return self.score(self.user_tower(user) * self.item_tower(item))


users = np.random.rand(8, 3).astype("float32")
items = np.random.rand(8, 5).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model = Recommender(name="recommender")
model.compile(optimizer="adam", loss="mse")
model.fit([users, items], y, epochs=1, batch_size=len(users), verbose=0)
