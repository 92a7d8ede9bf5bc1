"""An MNIST MLP's nested encoder declares keras.Input(shape=(28 * 28)): the parentheses make an int, not a tuple."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(28 * 28), name="pixels"), layers.Dense(64, activation="relu", name="hidden")],
                           name="encoder")
x_in = keras.Input(shape=(784,), name="image")
model = keras.Model(x_in, layers.Dense(10, activation="softmax", name="digit")(encoder(x_in)), name="mnist_mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 784), np.random.randint(0, 10, size=(8,)), epochs=1, batch_size=8, verbose=0)
