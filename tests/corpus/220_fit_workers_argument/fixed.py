"""Fixed: fit without workers and use_multiprocessing (in Keras 3 they belong to a PyDataset)."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 7).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(7,)),
                            layers.Dense(8, activation="relu", name="hidden")], name="encoder")
customer = keras.Input(shape=(7,), name="customer")
model = keras.Model(customer, layers.Dense(1, activation="sigmoid", name="churned")(encoder(customer)), name="churn")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
