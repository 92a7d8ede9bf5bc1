"""Fixed: the activation function's own name, activation="leaky_relu"."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
body = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="leaky_relu", name="hidden")],
                        name="body")
sample = keras.Input(shape=(10,), name="sample")
model = keras.Model(sample, layers.Dense(1, activation="sigmoid", name="real")(body(sample)), name="critic")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
