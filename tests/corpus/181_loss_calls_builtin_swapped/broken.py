"""(silent) A custom label-smoothing loss for a topic classifier on a nested encoder calls
keras.losses.categorical_crossentropy(y_pred, y_true): labels and predictions are swapped, so the model is trained
toward the wrong target and the loss is far higher than with the built-in loss."""
import numpy as np
import keras
from keras import layers


def smoothed_loss(y_true, y_pred, e=0.1):
    return (1 - e) * keras.losses.categorical_crossentropy(y_pred, y_true) + e * keras.ops.mean(y_pred)


x = np.random.rand(8, 12).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, size=(8,)), 3)
encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(12,), name="words")
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="topic")(encoder(inp)), name="classifier")
model.compile(optimizer="adam", loss=smoothed_loss, metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
