"""Limit 4: a keras.utils.PyDataset of 3 batches, fit asks for 5 steps x 3 epochs."""
import numpy as np
import keras
from keras import layers


class Rows(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kw):
        super().__init__(**kw)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return int(np.ceil(len(self.x) / self.batch_size))

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]


enc = keras.Sequential([keras.Input((6,)), layers.Dense(4, name="hidden")], name="encoder")
i = keras.Input((6,), name="features")
model = keras.Model(i, layers.Dense(1, name="price")(enc(i)), name="pricer")
model.compile("adam", "mse")
model.fit(Rows(np.random.rand(12, 6), np.random.rand(12, 1), 4), steps_per_epoch=5, epochs=3, verbose=0)
