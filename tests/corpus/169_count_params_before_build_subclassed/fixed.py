"""Fixed: the model is called on a slice of its input, which makes its weights, before they are counted
(model.build((None, 20)) would mark it built with no weights: count_params() said 0)."""
import numpy as np
import keras
from keras import layers


class Recommender(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tower = keras.Sequential([layers.Dense(16, activation="relu", name="hidden")], name="tower")
        self.score = layers.Dense(1, name="score")

    def call(self, inputs):
        return self.score(self.tower(inputs))


user_items = np.random.rand(8, 20).astype("float32")
ratings = np.random.rand(8, 1).astype("float32")
model = Recommender(name="recommender")
model(user_items[:1])
print("parameters:", model.count_params())
model.compile(optimizer="adam", loss="mse")
model.fit(user_items, ratings, epochs=1, batch_size=4, verbose=0)
