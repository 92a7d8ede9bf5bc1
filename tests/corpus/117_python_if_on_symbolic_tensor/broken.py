"""A custom scaling layer in a nested image stem branches with Python `if` on a tensor's value."""
import numpy as np
import keras
from keras import layers, ops


class AutoScale(layers.Layer):
    def call(self, x):
        if ops.max(x) > 1.0:
            return x / 255.0
        return x


stem = keras.Sequential([keras.Input(shape=(16, 16, 3), name="pixels"), AutoScale(name="autoscale"),
                         layers.Conv2D(4, 3, name="conv")], name="stem")
img = keras.Input(shape=(16, 16, 3), name="img")
out = layers.Dense(2, activation="softmax", name="cls")(layers.GlobalAveragePooling2D(name="gap")(stem(img)))
model = keras.Model(img, out, name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 16, 16, 3) * 255, np.random.randint(0, 2, (8,)), epochs=1, batch_size=8, verbose=0)
