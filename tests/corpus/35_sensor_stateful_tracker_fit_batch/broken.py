"""Machine-vibration anomaly model: the inner tracker holds a stateful LSTM declared for batches of 4, and the
outer model is fit with the whole batch of 8 windows."""
import numpy as np
import keras
from keras import layers

tracker = keras.Sequential(
    [
        keras.Input(shape=(20, 3), batch_size=4, name="window"),
        layers.LSTM(16, stateful=True, name="lstm"),
    ],
    name="tracker",
)

vib = keras.Input(shape=(20, 3), batch_size=4, name="vibration")
model = keras.Model(vib, layers.Dense(1, activation="sigmoid", name="anomaly")(tracker(vib)), name="anomaly_model")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 20, 3).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
