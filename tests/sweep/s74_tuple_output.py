"""A custom attention-pool layer returns (pooled, weights); the outer model feeds both to one Dense."""
import keras
from keras import layers, ops


class AttnPool(layers.Layer):
    def build(self, input_shape):
        self.score = layers.Dense(1, name="score")
        self.score.build(input_shape)

    def call(self, x):
        w = ops.softmax(self.score(x), axis=1)
        return ops.sum(x * w, axis=1), w


e_in = keras.Input(shape=(11, 24))
attn_enc = keras.Model(e_in, AttnPool(name="attn_pool")(e_in), name="attn_enc")
x = keras.Input(shape=(11, 24), name="x")
model = keras.Model(x, layers.Dense(3, name="head")(attn_enc(x)), name="model")
