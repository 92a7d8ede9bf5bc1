"""Fixed: the encoder is declared for the 12 steps its positional table covers, keras.Input(shape=(12, 16), name="steps")."""
import numpy as np
import keras
from keras import layers


class PositionalEmbedding(layers.Layer):
    def build(self, input_shape):
        self.position = self.add_weight(name="position", shape=(1, input_shape[1], input_shape[2]),
                                        initializer="zeros")

    def call(self, inputs):
        return inputs + self.position


x = np.random.rand(8, 12, 16).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12, 16), name="steps"), PositionalEmbedding(name="pos"),
                            layers.GlobalAveragePooling1D(name="pool")], name="encoder")
inp = keras.Input(shape=(12, 16), name="patches")
model = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="label")(encoder(inp)), name="classifier")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
