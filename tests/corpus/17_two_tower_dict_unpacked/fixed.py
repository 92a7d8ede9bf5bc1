"""Two-tower recommender: the towers model returns {"user": ..., "item": ...}; its result is unpacked into two vectors."""
import numpy as np
import keras
from keras import layers

user_in = keras.Input(shape=(10,), name="user_in")
item_in = keras.Input(shape=(6,), name="item_in")
towers = keras.Model(
    [user_in, item_in],
    {
        "user": layers.Dense(16, name="user_tower")(user_in),
        "item": layers.Dense(16, name="item_tower")(item_in),
    },
    name="towers",
)

user_feats = keras.Input(shape=(10,), name="user_feats")
item_feats = keras.Input(shape=(6,), name="item_feats")
outputs = towers([user_feats, item_feats])
user_vec, item_vec = outputs["user"], outputs["item"]
affinity = layers.Dot(axes=1, name="affinity")([user_vec, item_vec])
model = keras.Model([user_feats, item_feats], affinity, name="recommender")
model.compile(optimizer="adam", loss="mse")

u = np.random.rand(8, 10).astype("float32")
i = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit([u, i], y, epochs=1, batch_size=len(u), verbose=0)
