"""Chest X-ray classifier on a pretrained-style backbone: the backbone itself is frozen by path with
kernest.freeze, so its BatchNormalization runs in inference mode and its statistics stay put (fixed)."""
import numpy as np
import keras
from keras import layers

import kernest

backbone = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 1), name="film"),
        layers.Conv2D(8, 3, name="conv"),
        layers.BatchNormalization(name="bn"),
        layers.ReLU(name="relu"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
xray = keras.Input(shape=(32, 32, 1), name="xray")
model = keras.Model(xray, layers.Dense(1, activation="sigmoid", name="finding")(backbone(xray)), name="xray_clf")
kernest.freeze(model, "backbone")  # freeze the pretrained backbone
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 32, 32, 1).astype("float32") * 3.0
y = np.random.randint(0, 2, (8, 1)).astype("float32")
mean_before = np.array(backbone.get_layer("bn").moving_mean)
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
assert float(np.abs(np.array(backbone.get_layer("bn").moving_mean) - mean_before).max()) == 0.0
