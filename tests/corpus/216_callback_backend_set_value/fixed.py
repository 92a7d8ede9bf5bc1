"""Fixed: the callback assigns the rate to the optimizer's learning_rate variable."""
import numpy as np
import keras
from keras import layers


class OneCycle(keras.callbacks.Callback):
    def __init__(self, peak, epochs):
        super().__init__()
        self.peak, self.epochs = peak, epochs

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.peak * (1.0 - abs(2.0 * (epoch + 0.5) / self.epochs - 1.0))
        self.model.optimizer.learning_rate.assign(rate)


x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(6,)),
                            layers.Dense(8, activation="relu", name="hidden")], name="encoder")
model = keras.Sequential([keras.Input(shape=(6,)), encoder, layers.Dense(1, name="out")], name="regressor")
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, callbacks=[OneCycle(0.1, 1)])
