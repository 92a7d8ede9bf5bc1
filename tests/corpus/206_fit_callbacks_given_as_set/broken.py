"""A segmentation model with a nested encoder is trained with callbacks={ModelCheckpoint(...)}: braces make a
set, not a list, and fit fails when it hands the callbacks the model."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 16, 16, 3).astype("float32")
y = np.random.randint(0, 2, (8, 16, 16, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(16, 16, 3)),
                            layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1")], name="encoder")
pixels = keras.Input(shape=(16, 16, 3), name="pixels")
model = keras.Model(pixels, layers.Conv2D(1, 1, activation="sigmoid", name="mask")(encoder(pixels)),
                    name="segmenter")
model.compile(optimizer="adam", loss="binary_crossentropy")
path = os.path.join(tempfile.mkdtemp(), "segmentation.keras")
callbacks = {
    keras.callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True)
}
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, callbacks=callbacks)
