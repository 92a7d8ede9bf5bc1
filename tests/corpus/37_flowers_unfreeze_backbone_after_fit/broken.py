"""Flower classifier, two-phase transfer learning: train the head with the backbone frozen, then set
backbone.trainable = True and call fit again without recompiling. The optimizer was built for the head only."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3), name="rgb"),
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.Conv2D(16, 3, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
backbone.trainable = False

photo = keras.Input(shape=(32, 32, 3), name="photo")
model = keras.Model(photo, layers.Dense(5, activation="softmax", name="species")(backbone(photo)), name="flowers")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 32, 32, 3).astype("float32")
y = np.random.randint(0, 5, (8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

backbone.trainable = True  # phase 2: fine-tune everything
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
