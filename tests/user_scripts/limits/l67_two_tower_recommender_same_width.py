"""A CORRECT two-tower recommender: a user tower and an item tower of the same architecture (both read 10 features),
each with its own weights on purpose (users and items are different things), compared by a cosine Dot and trained
on click labels. `kernest check --strict` must stay quiet."""
import numpy as np
import keras
from keras import layers


def tower(name):
    features = keras.Input((10,), name=f"{name}_features")
    h = layers.Dense(32, activation="relu")(features)
    return keras.Model(features, layers.Dense(8)(h), name=name)


user = keras.Input((10,), name="user")
item = keras.Input((10,), name="item")
user_tower, item_tower = tower("user_tower"), tower("item_tower")
score = layers.Dot(axes=1, normalize=True, name="cosine")([user_tower(user), item_tower(item)])
model = keras.Model([user, item], layers.Dense(1, activation="sigmoid", name="click")(score), name="recommender")
model.compile(optimizer="adam", loss="binary_crossentropy")
users, items = np.random.rand(64, 10).astype("float32"), np.random.rand(64, 10).astype("float32")
model.fit([users, items], np.random.randint(0, 2, size=(64, 1)), epochs=1, verbose=0)
