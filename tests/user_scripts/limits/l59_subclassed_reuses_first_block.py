"""A subclassed residual MLP builds three nested blocks in build() but its call() applies self.blocks[0] three times
(a loop variable never used): blocks 1 and 2 are built, hold weights, and never train."""
import numpy as np
import keras
from keras import layers


class ResidualMLP(keras.Model):
    def __init__(self, width, depth, **kwargs):
        super().__init__(**kwargs)
        self.width, self.depth = width, depth
        self.out = layers.Dense(1, name="out")

    def build(self, input_shape):
        self.blocks = [keras.Sequential([layers.Dense(self.width, activation="relu")], name=f"block_{i}")
                       for i in range(self.depth)]
        for block in self.blocks:
            block.build(input_shape)
        self.out.build(input_shape)
        super().build(input_shape)

    def call(self, x):
        for i in range(self.depth):
            x = x + self.blocks[0](x)
        return self.out(x)


model = ResidualMLP(width=10, depth=3, name="resmlp")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(64, 10).astype("float32"), np.random.rand(64, 1).astype("float32"), epochs=1, verbose=0)
