"""Two-tower movie recommender: the item tower's Embedding was sized for 500 movies, but the catalogue ids run
up to 999. Nothing complains until fit looks up an id past the table."""
import numpy as np
import keras
from keras import layers

item_tower = keras.Sequential(
    [
        keras.Input(shape=(1,), dtype="int32", name="movie_id"),
        layers.Embedding(500, 16, name="item_emb"),
        layers.Flatten(name="item_flat"),
    ],
    name="item_tower",
)
user_tower = keras.Sequential(
    [
        keras.Input(shape=(1,), dtype="int32", name="user_id"),
        layers.Embedding(100, 16, name="user_emb"),
        layers.Flatten(name="user_flat"),
    ],
    name="user_tower",
)

user = keras.Input(shape=(1,), dtype="int32", name="user")
movie = keras.Input(shape=(1,), dtype="int32", name="movie")
score = layers.Dot(axes=1, name="affinity")([user_tower(user), item_tower(movie)])
model = keras.Model([user, movie], score, name="recommender")
model.compile(optimizer="adam", loss="mse")

users = np.random.randint(0, 100, (8, 1))
movies = np.array([[3], [999], [512], [42], [870], [7], [650], [120]])
ratings = np.random.rand(8, 1).astype("float32")
model.fit([users, movies], ratings, epochs=1, batch_size=len(ratings), verbose=0)
