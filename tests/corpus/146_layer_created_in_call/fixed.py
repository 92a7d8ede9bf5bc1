"""Fixed: the Dense is created once, in __init__, and only called in call()."""
import numpy as np
import keras
from keras import layers


class Projection(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(self.units, activation="tanh")

    def call(self, inputs):
        return self.dense(inputs)


encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="relu", name="hidden"),
                            Projection(8, name="project")], name="encoder")
rows = keras.Input(shape=(10,), name="rows")
model = keras.Model(rows, layers.Dense(1, name="score")(encoder(rows)), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 10).astype("float32"), np.random.rand(8, 1).astype("float32"), epochs=1, batch_size=8, verbose=0)
