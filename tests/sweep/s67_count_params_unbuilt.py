"""A subclassed tower's parameters are counted before it was called on anything."""
import keras
from keras import layers


class Tower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu", name="hidden")
        self.out = layers.Dense(3, name="logits")

    def call(self, x):
        return self.out(self.hidden(x))


feats = keras.Input(shape=(20,), name="feats")
tower = Tower(name="tower")
print("tower parameters:", tower.count_params())
model = keras.Model(feats, tower(feats), name="model")
