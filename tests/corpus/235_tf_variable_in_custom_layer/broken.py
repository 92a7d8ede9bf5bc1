"""(silent) A Keras-2 style custom Temperature layer in a sentiment model's nested encoder makes its scale with
tf.Variable(1.0) in __init__; Keras 3 tracks only weights made with add_weight, so the scale is not among the model's
trainable weights: fit never changes it, and saving would drop it."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class Temperature(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = tf.Variable(1.0, trainable=True, name="scale")

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
