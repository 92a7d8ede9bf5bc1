"""A two-input outer model is called with its two tensors as two positional arguments."""
import keras
import numpy as np
from keras import layers

u_in = keras.Input(shape=(5,))
user_tower = keras.Model(u_in, layers.Dense(3, name="u")(u_in), name="user_tower")
user, item = keras.Input(shape=(5,), name="user"), keras.Input(shape=(3,), name="item")
recsys = keras.Model([user, item], layers.Dot(axes=1)([user_tower(user), item]), name="recsys")
users, items = np.random.rand(4, 5).astype("float32"), np.random.rand(4, 3).astype("float32")
recsys(users, items)
