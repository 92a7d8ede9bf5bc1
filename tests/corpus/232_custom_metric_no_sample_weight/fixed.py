"""Fixed: update_state accepts the sample_weight argument Keras passes to every metric."""
import numpy as np
import keras
from keras import layers, ops


class MeanAbsError(keras.metrics.Metric):
    def __init__(self, name="mean_abs_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(ops.abs(y_true - y_pred)))
        self.count.assign_add(ops.cast(ops.size(y_true), "float32"))

    def result(self):
        return self.total / ops.maximum(self.count, 1.0)


x = np.random.rand(8, 7).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(7,)), layers.Dense(5, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(7,), name="features")
model = keras.Model(features, layers.Dense(1, name="minutes")(encoder(features)), name="eta")
model.compile(optimizer="adam", loss="mse", metrics=[MeanAbsError()])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
