"""A WaveNet-style nested block with dilation_rate=8 and padding="valid" on 16-sample windows: the dilated kernel spans 17 samples."""
import numpy as np
import keras
from keras import layers

sig = keras.Input(shape=(16, 2), name="sig")
h = layers.Conv1D(8, 3, dilation_rate=2, activation="relu", name="dil2")(sig)
h = layers.Conv1D(8, 3, dilation_rate=8, padding="same", activation="relu", name="dil8")(h)
block = keras.Model(sig, layers.GlobalAveragePooling1D(name="gap")(h), name="wave_block")

window = keras.Input(shape=(16, 2), name="window")
model = keras.Model(window, layers.Dense(1, name="next_value")(block(window)), name="forecaster")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 16, 2).astype("float32")
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
