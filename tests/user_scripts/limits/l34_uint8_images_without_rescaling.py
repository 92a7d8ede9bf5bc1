"""Limit 1 (round 6): a leaf classifier trained on uint8 photos (0-255) fed straight to a nested CNN: no Rescaling
layer anywhere and no division in the data pipeline, so the first convolution sees values up to 255."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(0)
leaf_photos = rng.integers(0, 256, size=(64, 32, 32, 3), dtype=np.uint8)
leaf_labels = rng.integers(0, 5, size=(64,))

px = keras.Input((32, 32, 3), name="pixels")
h = layers.Conv2D(16, 3, activation="relu", name="conv_a")(px)
h = layers.MaxPooling2D(name="pool_a")(h)
h = layers.Conv2D(32, 3, activation="relu", name="conv_b")(h)
backbone = keras.Model(px, layers.GlobalAveragePooling2D(name="gap")(h), name="leaf_backbone")

photo = keras.Input((32, 32, 3), name="photo")
disease_model = keras.Model(photo, layers.Dense(5, activation="softmax", name="disease")(backbone(photo)),
                            name="disease_model")
disease_model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
disease_model.fit(leaf_photos, leaf_labels, batch_size=16, epochs=1, verbose=0)
