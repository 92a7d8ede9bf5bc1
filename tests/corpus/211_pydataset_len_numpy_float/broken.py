"""A PyDataset feeding image batches to a classifier with a nested CNN backbone returns np.ceil(...) from __len__:
a NumPy float, and fit cannot count the batches with it."""
import numpy as np
import keras
from keras import layers


class ImageBatches(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels, self.batch_size = images, labels, batch_size

    def __len__(self):
        return np.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index):
        start = index * self.batch_size
        return self.images[start:start + self.batch_size], self.labels[start:start + self.batch_size]


x = np.random.rand(8, 12, 12, 3).astype("float32")
y = np.random.randint(0, 3, (8,))
backbone = keras.Sequential([keras.Input(shape=(12, 12, 3)),
                             layers.Conv2D(4, 3, activation="relu", name="conv"),
                             layers.GlobalAveragePooling2D(name="pool")], name="backbone")
images = keras.Input(shape=(12, 12, 3), name="images")
model = keras.Model(images, layers.Dense(3, activation="softmax", name="label")(backbone(images)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(ImageBatches(x, y, 3), epochs=1, verbose=0)
