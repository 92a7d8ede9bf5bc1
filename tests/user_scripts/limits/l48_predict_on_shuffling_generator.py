"""A sentiment model (a nested bag-of-features encoder) scored with predict on the same Python generator used for
training, which shuffles by default and yields (features, labels): predict drops the labels and returns the
predictions in the shuffled order, and the accuracy compares them with y_test as stored."""
import numpy as np
import keras
from keras import layers


def batches(x, y, batch_size=32, shuffle=True):
    order = np.arange(len(x))
    if shuffle:
        np.random.shuffle(order)
    for start in range(0, len(x), batch_size):
        rows = order[start:start + batch_size]
        yield x[rows], y[rows]


features = keras.Input((50,), name="features")
encoder = keras.Model(features, layers.Dense(16, activation="relu", name="hidden")(features), name="encoder")
review = keras.Input((50,), name="review")
model = keras.Model(review, layers.Dense(2, activation="softmax", name="sentiment")(encoder(review)), name="model")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

rng = np.random.default_rng(0)
x_train, y_train = rng.random((256, 50), dtype="float32"), rng.integers(0, 2, 256)
x_test, y_test = rng.random((96, 50), dtype="float32"), rng.integers(0, 2, 96)
for epoch in range(2):
    model.fit(batches(x_train, y_train), epochs=1, verbose=0)

probs = model.predict(batches(x_test, y_test), verbose=0)
print("accuracy", np.mean(probs.argmax(axis=-1) == y_test))
