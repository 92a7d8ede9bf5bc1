"""Limit 5 (round 3): a Flatten before a nested subclassed sensor tower (Conv1D inside); the rebuild advice should
name the tower the user sees in the outer model, with the inner layer as detail."""
import numpy as np
import keras
from keras import layers


class SensorTower(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.conv = layers.Conv1D(8, 5, activation="relu", name="conv1d")
        self.pool = layers.GlobalMaxPooling1D()

    def call(self, x):
        return self.pool(self.conv(x))


class ActivityNet(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.flat = layers.Flatten(name="flatten")
        self.tower = SensorTower(name="tower")
        self.head = layers.Dense(6, activation="softmax", name="activity")

    def call(self, x):
        return self.head(self.tower(self.flat(x)))


model = ActivityNet(name="activity_net")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(16, 50, 3).astype("float32"), np.random.randint(0, 6, 16), epochs=1, verbose=0)
