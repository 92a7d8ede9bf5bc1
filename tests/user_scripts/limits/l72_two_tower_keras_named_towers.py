"""A CORRECT two-tower retrieval model: a user tower and a movie tower of one architecture, built by a helper that
names neither (Keras calls them `functional` and `functional_1`), each with its own weights on purpose, compared by
a dot product. The inputs say which tower reads what. `kernest check --strict` must stay quiet."""
import numpy as np
import keras
from keras import layers


def make_tower():
    x = keras.Input((12,))
    return keras.Model(x, layers.Dense(6)(layers.Dense(24, activation="relu")(x)))


user = keras.Input((12,), name="user_profile")
movie = keras.Input((12,), name="movie_profile")
score = layers.Dot(axes=1)([make_tower()(user), make_tower()(movie)])
model = keras.Model([user, movie], layers.Activation("sigmoid", name="watched")(score), name="retrieval")
model.compile(optimizer="adam", loss="binary_crossentropy")
profiles, movies = np.random.rand(48, 12).astype("float32"), np.random.rand(48, 12).astype("float32")
model.fit([profiles, movies], np.random.randint(0, 2, size=(48, 1)), epochs=1, verbose=0)
