"""A LearningRateScheduler function written after the TensorFlow docs returns lr * tf.math.exp(-0.1), a tensor,
from its third epoch on, for a ranker with a nested encoder: Keras 3 asks for a float."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


def scheduler(epoch, lr):
    if epoch < 2:
        return lr
    return lr * tf.math.exp(-0.1)


encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(10,), name="query_doc")
model = keras.Model(x_in, layers.Dense(1, activation="sigmoid", name="relevance")(encoder(x_in)), name="ranker")
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="binary_crossentropy")
x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
model.fit(x, y, epochs=3, batch_size=4, callbacks=[keras.callbacks.LearningRateScheduler(scheduler)], verbose=0)
