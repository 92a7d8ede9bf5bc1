"""Grayscale x-rays (batch, 32, 32, 1) into a MobileNetV2 backbone trained from scratch but built for 3 channels; it fails only at fit."""
import numpy as np
import keras
from keras import layers

backbone = keras.applications.MobileNetV2(
    input_shape=(32, 32, 3), alpha=0.35, weights=None, include_top=False, pooling="avg", name="backbone"
)
xray = keras.Input(shape=(32, 32, 1), name="xray")
out = layers.Dense(2, activation="softmax", name="diagnosis")(backbone(xray))
model = keras.Model(xray, out, name="xray_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 32, 32, 1).astype("float32")
y = np.random.randint(0, 2, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
