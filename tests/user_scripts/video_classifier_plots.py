"""A video classifier: a frame CNN applied per frame with TimeDistributed, then a GRU. The model is built in
get_model(); the script trains at import and plots the loss with matplotlib."""
import random

import keras
import matplotlib.pyplot as plt
import numpy as np
from keras import layers

SEED = 7
random.seed(SEED)
np.random.seed(SEED)
keras.utils.set_random_seed(SEED)

FRAMES, SIZE = 8, 24


def frame_cnn():
    return keras.Sequential(
        [
            keras.Input((SIZE, SIZE, 3)),
            layers.Conv2D(8, 3, activation="relu", name="conv"),
            layers.GlobalAveragePooling2D(name="gap"),
        ],
        name="frame_cnn",
    )


def get_model(classes=4):
    video = keras.Input((FRAMES, SIZE, SIZE, 3), name="video")
    x = layers.TimeDistributed(frame_cnn(), name="per_frame")(video)
    x = layers.GRU(8, name="gru")(x)
    return keras.Model(video, layers.Dense(classes, activation="softmax", name="action")(x), name="video_classifier")


clf = get_model()
clf.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
videos = np.random.rand(64, FRAMES, SIZE, SIZE, 3).astype("float32")
history = clf.fit(videos, np.random.randint(0, 4, 64), epochs=50, batch_size=4, validation_split=0.25)
plt.plot(history.history["loss"], label="loss")
plt.plot(history.history["val_loss"], label="val_loss")
plt.legend()
plt.show()
