"""A bag-of-words classifier declares its count vector keras.Input(shape=(20,), sparse=True, name="bow") to save
memory, as TensorFlow recipes do; under PyTorch, Keras has no sparse tensors and refuses the Input."""
import numpy as np
import keras
from keras import layers

x = (np.random.rand(8, 20) > 0.8).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, activation="relu", name="hidden")],
                           name="encoder")
bow = keras.Input(shape=(20,), sparse=True, name="bow")
model = keras.Model(bow, layers.Dense(1, activation="sigmoid", name="label")(encoder(bow)), name="classifier")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
