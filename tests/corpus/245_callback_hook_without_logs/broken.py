"""A custom callback for a regressor on a nested encoder overrides on_epoch_end(self, epoch) without the logs
argument; fit calls every hook with (epoch, logs) and fails at the end of the first epoch."""
import numpy as np
import keras
from keras import layers


class EpochPrinter(keras.callbacks.Callback):
    def on_epoch_end(self, epoch):
        print("finished epoch", epoch)


x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="demand")(encoder(features)), name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, callbacks=[EpochPrinter()])
