"""Fixed: compile gets a two-argument loss that passes pos_weight on."""
import numpy as np
import keras
from keras import layers, ops


def weighted_bce(y_true, y_pred, pos_weight):
    y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
    return ops.mean(-(pos_weight * y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred)))


pos_weight = 3.0
x = np.random.rand(8, 6).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, activation="sigmoid", name="fraud")(encoder(features)), name="clf")
model.compile(optimizer="adam", loss=lambda y_true, y_pred: weighted_bce(y_true, y_pred, pos_weight))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
