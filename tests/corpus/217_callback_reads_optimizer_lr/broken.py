"""A callback records the learning rate of a forecaster with a nested encoder after each epoch from
self.model.optimizer.lr: Keras 3 optimizers only have learning_rate."""
import numpy as np
import keras
from keras import layers


class RateLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        self.rates.append(float(self.model.optimizer.lr))


x = np.random.rand(8, 12, 2).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(12, 2)), layers.GRU(8, name="gru")], name="encoder")
series = keras.Input(shape=(12, 2), name="series")
model = keras.Model(series, layers.Dense(1, name="next_value")(encoder(series)), name="forecaster")
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, callbacks=[RateLogger()])
