"""Fixed: the callback reads logs["val_accuracy"], the name Keras gives the validation accuracy."""
import numpy as np
import keras
from keras import layers


class BestValAccuracy(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.best = 0.0

    def on_epoch_end(self, epoch, logs=None):
        self.best = max(self.best, logs["val_accuracy"])


class Tagger(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(8, activation="relu", name="hidden")], name="encoder")
        self.head = layers.Dense(1, activation="sigmoid", name="head")

    def call(self, inputs):
        return self.head(self.encoder(inputs))


x = np.random.rand(8, 6).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model = Tagger(name="tagger")
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, validation_data=(x, y), callbacks=[BestValAccuracy()])
