"""Fixed: one loss weight per output (1.0, Keras's default, for the third)."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(16, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(12,), name="listing_features")
feat = encoder(x_in)
price = layers.Dense(1, name="price")(feat)
rooms = layers.Dense(1, name="rooms")(feat)
kind = layers.Dense(3, activation="softmax", name="kind")(feat)
model = keras.Model(x_in, [price, rooms, kind], name="listing")
model.compile(optimizer="adam", loss=["mse", "mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.5, 1.0])
x = np.random.rand(8, 12).astype("float32")
targets = [np.random.rand(8, 1).astype("float32"), np.random.rand(8, 1).astype("float32"), np.random.randint(0, 3, size=(8,))]
model.fit(x, targets, epochs=1, batch_size=4, verbose=0)
