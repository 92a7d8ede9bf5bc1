"""A custom positional-bias layer builds a weight over the steps axis, which the nested model leaves None."""
import keras
from keras import layers


class PositionBias(layers.Layer):
    def build(self, input_shape):
        self.pos = self.add_weight(shape=(input_shape[1], input_shape[2]), initializer="zeros", name="pos")

    def call(self, x):
        return x + self.pos


t_in = keras.Input(shape=(None, 16))
tagger = keras.Model(t_in, layers.Dense(4, name="tags")(PositionBias(name="pos_bias")(t_in)), name="tagger")
x = keras.Input(shape=(None, 16), name="x")
model = keras.Model(x, tagger(x), name="model")
