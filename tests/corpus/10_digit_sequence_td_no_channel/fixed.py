"""Reading a 5-digit sequence: TimeDistributed over a small digit CNN, frames stored as (28, 28) grayscale."""
import numpy as np
import keras
from keras import layers

digit_cnn = keras.Sequential(
    [
        layers.Conv2D(8, 3, activation="relu", name="conv"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Flatten(name="flat"),
        layers.Dense(16, activation="relu", name="digit_vec"),
    ],
    name="digit_cnn",
)

frames = keras.Input(shape=(5, 28, 28), name="frames")
with_channel = layers.Reshape((5, 28, 28, 1))(frames)
per_digit = layers.TimeDistributed(digit_cnn, name="per_digit")(with_channel)
reading = layers.LSTM(16, name="reader")(per_digit)
total = layers.Dense(1, name="total")(reading)
model = keras.Model(frames, total, name="meter_reader")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 5, 28, 28).astype("float32")
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
