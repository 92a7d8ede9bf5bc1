"""Chest X-ray classifier on a pretrained-style backbone: the user freezes model.layers[0], expecting the
backbone, but in a functional model layers[0] is the InputLayer. The backbone stays trainable and its
BatchNormalization keeps updating its moving statistics during fit."""
import numpy as np
import keras
from keras import layers

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
model.layers[0].trainable = False  # meant: freeze the pretrained backbone
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 32, 32, 1).astype("float32") * 3.0
y = np.random.randint(0, 2, (8, 1)).astype("float32")
mean_before = np.array(backbone.get_layer("bn").moving_mean)
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
# Verified: bn.moving_mean moves after one fit step on all three backends (the backbone was never frozen).
print(type(model.layers[0]).__name__, "bn moving_mean change:",
      float(np.abs(np.array(backbone.get_layer("bn").moving_mean) - mean_before).max()))
