"""fit(dataset, steps_per_epoch=5, epochs=2) on a 3-batch tf.data pipeline for a model with a nested CNN: Keras warns that the input ran out of data and stops training early."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

images = np.random.rand(12, 16, 16, 1).astype("float32")
labels = np.random.randint(0, 2, size=(12, 1)).astype("float32")
cnn = keras.Sequential([keras.Input(shape=(16, 16, 1)), layers.Conv2D(4, 3, activation="relu", name="conv"),
                        layers.GlobalAveragePooling2D(name="pool")], name="cnn")
x_in = keras.Input(shape=(16, 16, 1), name="image")
model = keras.Model(x_in, layers.Dense(1, activation="sigmoid", name="cat")(cnn(x_in)), name="cats_dogs")
model.compile(optimizer="adam", loss="binary_crossentropy")
train_data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
model.fit(train_data, steps_per_epoch=5, epochs=2, verbose=0)
