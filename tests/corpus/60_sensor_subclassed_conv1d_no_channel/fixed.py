"""Vibration monitor: a subclassed Conv1D model is called in a functional model on a univariate series without a channel axis."""
import numpy as np
import keras
from keras import layers


class VibrationNet(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv1D(16, 7, activation="relu", name="conv")
        self.pool = layers.GlobalAveragePooling1D(name="pool")
        self.score = layers.Dense(1, activation="sigmoid", name="score")

    def call(self, inputs):
        return self.score(self.pool(self.conv(inputs)))


readings = keras.Input(shape=(128,), name="readings")
model = keras.Model(readings, VibrationNet(name="vibration_net")(layers.Reshape((128, 1), name="add_channel")(readings)), name="monitor")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(4, 128).astype("float32")
y = np.random.randint(0, 2, size=(4, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
