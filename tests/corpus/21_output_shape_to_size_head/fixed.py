"""Wine quality: the head's Input is sized from the encoder's last layer with layer.output_shape (Keras 2 API)."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential(
    [
        keras.Input(shape=(11,), name="chemistry"),
        layers.Dense(24, activation="relu", name="h1"),
        layers.Dense(12, activation="relu", name="bottleneck"),
    ],
    name="encoder",
)

head = keras.Sequential(
    [
        keras.Input(shape=encoder.get_layer("bottleneck").output.shape[1:]),
        layers.Dense(1, name="quality"),
    ],
    name="head",
)

sample = keras.Input(shape=(11,), name="sample")
model = keras.Model(sample, head(encoder(sample)), name="wine_model")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 11).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
