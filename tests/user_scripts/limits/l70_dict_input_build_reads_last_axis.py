"""A custom fusion layer nested in a recommender is called on a dict of two feature tensors; its build() reads
input_shape[-1] as if it had one input, but Keras passes build() the dict of shapes."""
import numpy as np
import keras
from keras import layers, ops


class Fusion(layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 8), name="w")

    def call(self, inputs):
        both = ops.concatenate([inputs["user"], inputs["item"]], axis=-1)
        return ops.matmul(both, self.w)


user = keras.Input((6,), name="user")
item = keras.Input((10,), name="item")
fused = Fusion(name="fusion")({"user": user, "item": item})
tower = keras.Model({"user": user, "item": item}, fused, name="tower")
u, i = keras.Input((6,), name="u"), keras.Input((10,), name="i")
model = keras.Model([u, i], layers.Dense(1, name="score")(tower({"user": u, "item": i})), name="model")
model.compile(optimizer="adam", loss="mse")
model.fit([np.random.rand(16, 6), np.random.rand(16, 10)], np.random.rand(16, 1), epochs=1, verbose=0)
