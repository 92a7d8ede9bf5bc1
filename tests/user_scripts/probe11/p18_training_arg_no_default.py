# After keras-team/keras#13887 (the `training` argument of a subclassed model's call; here "call() missing 1 required positional argument:
# 'training'"): a subclassed block whose call() takes `training` with no default, used inside another model.
import keras
import numpy as np
from keras import layers as L


class NoisyBlock(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(8, activation="relu")
        self.drop = L.Dropout(0.3)

    def call(self, x, training):
        return self.drop(self.dense(x), training=training)


class Net(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block = NoisyBlock(name="noisy")
        self.out = L.Dense(1)

    def call(self, x):
        return self.out(self.block(x))


model = Net(name="net")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 5), np.random.rand(16, 1), verbose=0)
