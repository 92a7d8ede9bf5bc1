"""Fixed: the raw 0-255 pixels go to fit; the backbone scales them once."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        keras.Input(shape=(16, 16, 3)),
        layers.Rescaling(1.0 / 255, name="rescale"),
        layers.Conv2D(8, 3, activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
img = keras.Input(shape=(16, 16, 3), name="img")
model = keras.Model(img, layers.Dense(10, activation="softmax", name="label")(backbone(img)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
pixels = np.random.randint(0, 256, size=(8, 16, 16, 3)).astype("float32")
images = pixels / 255.0
model.fit(pixels, np.random.randint(0, 10, size=(8,)), epochs=1, batch_size=8, verbose=0)
