"""Grid-world agent: a CNN over the map, then an LSTM. The CNN sub-model ends in Flatten."""
import numpy as np
import keras
from keras import layers

map_cnn = keras.Sequential(
    [
        keras.Input(shape=(12, 12, 1), name="cells"),
        layers.Conv2D(8, 3, padding="same", activation="relu", name="conv"),
        layers.Reshape((144, 8)),
    ],
    name="map_cnn",
)

grid = keras.Input(shape=(12, 12, 1), name="grid")
features = map_cnn(grid)
memory = layers.LSTM(16, name="lstm")(features)
q_values = layers.Dense(5, name="q_values")(memory)
model = keras.Model(grid, q_values, name="agent")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 12, 12, 1).astype("float32")
y = np.random.rand(4, 5).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
