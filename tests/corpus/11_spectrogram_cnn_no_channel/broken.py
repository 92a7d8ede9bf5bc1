"""Spoken-language ID: log-mel spectrograms (40 bands x 32 frames) into a Conv2D sub-model, stored without a channel axis."""
import numpy as np
import keras
from keras import layers

spec_cnn = keras.Sequential(
    [
        layers.Conv2D(8, 3, activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(16, 3, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="spec_cnn",
)

spectrogram = keras.Input(shape=(40, 32), name="spectrogram")
language = layers.Dense(3, activation="softmax", name="language")(spec_cnn(spectrogram))
model = keras.Model(spectrogram, language, name="lang_id")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 40, 32).astype("float32")
y = np.random.randint(0, 3, size=(8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
