"""A nested audio block downsamples with a dilated Conv1D given strides=2 as well; Keras refuses strides > 1 together
with dilation_rate > 1, and the block cannot be made."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 32, 2).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
block = keras.Sequential([keras.Input(shape=(32, 2)),
                          layers.Conv1D(8, 3, strides=2, dilation_rate=2, padding="same", name="dilated")], name="block")
wave = keras.Input(shape=(32, 2), name="wave")
pooled = layers.GlobalAveragePooling1D(name="pool")(block(wave))
model = keras.Model(wave, layers.Dense(1, activation="sigmoid", name="event")(pooled), name="detector")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
