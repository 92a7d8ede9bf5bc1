"""Limit 3a (round 7): test images served by a PyDataset that shuffles its order (in __init__ and on_epoch_end) and
yields (images, labels); predict drops the labels and the predictions are compared with y_test as stored."""
import math

import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(5)
x_test = rng.normal(size=(40, 16, 16, 1)).astype("float32")
y_test = rng.integers(0, 3, size=(40,))


class ScanBatches(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size=8, shuffle=True):
        super().__init__()
        self.images, self.labels, self.batch_size, self.shuffle = images, labels, batch_size, shuffle
        self.order = np.arange(len(images))
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, i):
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self):
        if self.shuffle:
            np.random.shuffle(self.order)


scan = keras.Input((16, 16, 1), name="scan")
features = keras.Sequential([keras.Input((16, 16, 1)), layers.Conv2D(8, 3, activation="relu"),
                             layers.GlobalAveragePooling2D()], name="scan_features")
grader = keras.Model(scan, layers.Dense(3, activation="softmax", name="grade")(features(scan)), name="grader")
grader.compile("adam", "sparse_categorical_crossentropy")

test_batches = ScanBatches(x_test, y_test)
predicted = grader.predict(test_batches, verbose=0).argmax(axis=-1)
print("accuracy", float(np.mean(predicted == y_test)))
