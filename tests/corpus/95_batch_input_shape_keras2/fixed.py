"""Fixed: the batch size and length are declared with keras.Input(shape=(None,), batch_size=2) inside the Sequential."""
import numpy as np
import keras
from keras import layers

generator = keras.Sequential([
    keras.Input(shape=(None,), batch_size=2),
    layers.Embedding(40, 8, name="chars"),
    layers.GRU(16, return_sequences=True, name="gru"),
    layers.Dense(40, name="logits"),
], name="generator")

notes = keras.Input(shape=(None,), dtype="int32", name="notes")
model = keras.Model(notes, generator(notes), name="music")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x = np.random.randint(0, 40, size=(2, 12))
model.fit(x, x, epochs=1, batch_size=2, verbose=0)
