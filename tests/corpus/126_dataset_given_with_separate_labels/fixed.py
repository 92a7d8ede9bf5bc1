"""Fixed: the dataset yields (inputs, labels) pairs."""
import numpy as np
import keras
from keras import layers
import tensorflow as tf

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x = keras.Input(shape=(6,), name="x")
model = keras.Model(x, layers.Dense(3, activation="softmax", name="out")(encoder(x)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x_train = np.random.rand(8, 6).astype("float32")
y_train = np.random.randint(0, 3, size=(8,))
features = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(4)
model.fit(features, epochs=1, verbose=0)
