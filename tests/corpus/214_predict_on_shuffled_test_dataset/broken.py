"""A classifier with a nested encoder predicts a test tf.data pipeline that shuffles, and the predictions are scored
against the test labels in their original order: each prediction is compared with another sample's label."""
import numpy as np
import keras
import tensorflow as tf
from keras import layers

x_train = np.random.rand(8, 5).astype("float32")
y_train = np.random.randint(0, 2, (8, 1)).astype("float32")
x_test = np.random.rand(8, 5).astype("float32")
y_test = np.random.randint(0, 2, (8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(5,)),
                            layers.Dense(8, activation="relu", name="hidden")], name="encoder")
readings = keras.Input(shape=(5,), name="readings")
model = keras.Model(readings, layers.Dense(1, activation="sigmoid", name="risk")(encoder(readings)),
                    name="classifier")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x_train, y_train, epochs=1, batch_size=len(x_train), verbose=0)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).shuffle(8).batch(4)
probs = model.predict(test_ds, verbose=0)
accuracy = float(np.mean((probs[:, 0] > 0.5) == (y_test[:, 0] > 0.5)))
