"""Fixed: the model is called eagerly on the data after fit, so the attribute holds that call's weights."""
import numpy as np
import keras
from keras import layers, ops

x = np.random.rand(8, 5, 4).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class AttentionPool(layers.Layer):
    def build(self, input_shape):
        self.score = layers.Dense(1, name="score")
        self.score.build(input_shape)

    def call(self, inputs):
        w = ops.softmax(self.score(inputs), axis=1)
        self.last_weights = w
        return ops.sum(w * inputs, axis=1)


encoder = keras.Sequential([keras.Input(shape=(5, 4)), AttentionPool(name="attention")], name="encoder")
tokens = keras.Input(shape=(5, 4), name="tokens")
model = keras.Model(tokens, layers.Dense(1, name="head")(encoder(tokens)), name="clf")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
model(x)
weights = ops.convert_to_numpy(encoder.get_layer("attention").last_weights)
