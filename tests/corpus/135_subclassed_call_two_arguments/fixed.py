"""Fixed: call takes the one inputs structure fit gives it, and unpacks it."""
import numpy as np
import keras
from keras import layers


class TwoTower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_tower = keras.Sequential([layers.Dense(8, activation="relu")], name="user_tower")
        self.item_tower = keras.Sequential([layers.Dense(8, activation="relu")], name="item_tower")
        self.score = layers.Dot(axes=1, name="score")

    def call(self, inputs):
        user, item = inputs
        return self.score([self.user_tower(user), self.item_tower(item)])


model = TwoTower(name="two_tower")
model.compile(optimizer="adam", loss="mse")
users, items = np.random.rand(8, 5).astype("float32"), np.random.rand(8, 7).astype("float32")
model.fit([users, items], np.random.rand(8, 1).astype("float32"), epochs=1, batch_size=8, verbose=0)
