"""Music recommender: user and song towers are scored with Dot(axes=1), but the song tower embeds into 16 dims, not 32."""
import numpy as np
import keras
from keras import layers

user_feats = keras.Input(shape=(10,), name="user_feats")
user_tower = keras.Model(user_feats, layers.Dense(32, name="user_vec")(user_feats), name="user_tower")

song_feats = keras.Input(shape=(8,), name="song_feats")
song_tower = keras.Model(song_feats, layers.Dense(32, name="song_vec")(song_feats), name="song_tower")

user = keras.Input(shape=(10,), name="user")
song = keras.Input(shape=(8,), name="song")
score = layers.Dot(axes=1, name="affinity")([user_tower(user), song_tower(song)])
model = keras.Model([user, song], score, name="recommender")
model.compile(optimizer="adam", loss="mse")

x1 = np.random.rand(8, 10).astype("float32")
x2 = np.random.rand(8, 8).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
