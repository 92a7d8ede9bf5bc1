"""Fixed: the pipeline is batched once."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

images = np.random.rand(16, 16, 16, 3).astype("float32")
labels = np.random.randint(0, 4, size=(16,))
loaded = tf.data.Dataset.from_tensor_slices((images, labels)).batch(4)
backbone = keras.Sequential([keras.Input(shape=(16, 16, 3)), layers.Conv2D(8, 3, activation="relu", name="conv"),
                             layers.GlobalAveragePooling2D(name="pool")], name="backbone")
x_in = keras.Input(shape=(16, 16, 3), name="image")
model = keras.Model(x_in, layers.Dense(4, activation="softmax", name="pest")(backbone(x_in)), name="insects")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
train_ds = loaded.shuffle(4)
model.fit(train_ds, epochs=1, verbose=0)
