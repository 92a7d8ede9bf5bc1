"""A Python generator yields (images, metadata, labels) for a two-input model: Keras reads it as (x, y, sample_weight)."""
import numpy as np
import keras
from keras import layers

img_in = keras.Input(shape=(8, 8, 1), name="img")
meta_in = keras.Input(shape=(3,), name="meta")
cnn = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(4, 3, name="conv"),
                        layers.GlobalAveragePooling2D(name="gap")], name="cnn")
merged = layers.Concatenate(name="merge")([cnn(img_in), meta_in])
model = keras.Model([img_in, meta_in], layers.Dense(1, activation="sigmoid", name="out")(merged), name="fusion")
model.compile(optimizer="adam", loss="binary_crossentropy")


def batches():
    while True:
        imgs, meta, labels = np.random.rand(4, 8, 8, 1), np.random.rand(4, 3), np.random.randint(0, 2, (4, 1))
        yield imgs, meta, labels


model.fit(batches(), steps_per_epoch=1, epochs=1, verbose=0)
