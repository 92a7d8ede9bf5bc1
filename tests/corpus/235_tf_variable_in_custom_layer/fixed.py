"""Fixed: the scale is a Keras weight made with self.add_weight, which fit trains and saving keeps."""
import numpy as np
import keras
from keras import layers


class Temperature(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = self.add_weight(shape=(), initializer="ones", trainable=True, name="scale")

    def call(self, inputs):
        return inputs / self.scale


x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(4, name="hidden"), Temperature(name="temperature")],
                           name="encoder")
review = keras.Input(shape=(10,), name="review")
model = keras.Model(review, layers.Dense(1, activation="sigmoid", name="positive")(encoder(review)), name="sentiment")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
