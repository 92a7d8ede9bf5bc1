"""Fixed: the dilated Conv1D keeps stride 1 and a MaxPooling1D(2) after it downsamples by the same factor."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 32, 2).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
block = keras.Sequential([keras.Input(shape=(32, 2)),
                          layers.Conv1D(8, 3, dilation_rate=2, padding="same", name="dilated"),
                          layers.MaxPooling1D(2)], name="block")
wave = keras.Input(shape=(32, 2), name="wave")
pooled = layers.GlobalAveragePooling1D(name="pool")(block(wave))
model = keras.Model(wave, layers.Dense(1, activation="sigmoid", name="event")(pooled), name="detector")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
