"""Load forecaster: trained on windows (batch, 9, 4); predict is then given one window (9, 4) without the batch axis."""
import numpy as np
import keras
from keras import layers

window_in = keras.Input(shape=(9, 4), name="window_in")
encoder = keras.Model(window_in, layers.GRU(16, name="gru")(window_in), name="encoder")

window = keras.Input(shape=(9, 4), name="window")
load = layers.Dense(1, name="load")(encoder(window))
model = keras.Model(window, load, name="forecaster")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 9, 4).astype("float32")
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

latest = x[-1]
model.predict(np.expand_dims(latest, 0), verbose=0)
