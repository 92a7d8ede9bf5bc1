"""Fixed: the Keras 3 weights file is loaded with skip_mismatch=True: the encoder's weights load, the head that
differs in size is skipped."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "pretrain.weights.h5")
x = np.random.rand(8, 6).astype("float32")
y = np.random.randint(0, 3, (8,))


def make_encoder():
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")],
                            name="encoder")


features = keras.Input(shape=(6,), name="features")
pretrain = keras.Model(features, layers.Dense(1, name="score")(make_encoder()(features)), name="pretrain")
pretrain.save_weights(path)

inputs = keras.Input(shape=(6,), name="features")
model = keras.Model(inputs, layers.Dense(3, activation="softmax", name="out")(make_encoder()(inputs)), name="clf")
model.load_weights(path, skip_mismatch=True)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
