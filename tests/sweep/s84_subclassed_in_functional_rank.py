"""A subclassed encoder (a Conv1D stack) is given flat vectors by the functional model around it."""
import keras
from keras import layers


class ConvEncoder(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv1D(12, 3, name="enc_conv")
        self.pool = layers.GlobalMaxPooling1D(name="enc_pool")

    def call(self, x):
        return self.pool(self.conv(x))


f_in = keras.Input(shape=(40,))
featurizer = keras.Model(f_in, layers.Dense(40, name="feat")(f_in), name="featurizer")
x = keras.Input(shape=(40,), name="x")
model = keras.Model(x, ConvEncoder(name="conv_encoder")(featurizer(x)), name="model")
