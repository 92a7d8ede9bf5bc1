"""Sensor tagger: a Sequential feature extractor ending in global pooling is stacked inside a Sequential before a Bidirectional GRU."""
import numpy as np
import keras
from keras import layers

extractor = keras.Sequential(
    [
        layers.Conv1D(32, 5, padding="same", activation="relu", name="conv"),
        layers.MaxPooling1D(2, name="pool"),
    ],
    name="extractor",
)

model = keras.Sequential(
    [
        keras.Input(shape=(60, 6), name="imu"),
        extractor,
        layers.Bidirectional(layers.GRU(16), name="bigru"),
        layers.Dense(4, activation="softmax", name="activity"),
    ],
    name="tagger",
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 60, 6).astype("float32")
y = np.random.randint(0, 4, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
