"""Load forecasting: a GRU step encoder declared on 20-step windows is reused on the last 10 steps."""
import numpy as np
import keras
from keras import layers

window = keras.Input(shape=(None, 8))
step_encoder = keras.Model(window, layers.GRU(16, name="gru")(window), name="step_encoder")

recent = keras.Input(shape=(10, 8), name="recent")
summary = step_encoder(recent)
next_load = layers.Dense(1, name="next_load")(summary)
model = keras.Model(recent, next_load, name="forecaster")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 10, 8).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
