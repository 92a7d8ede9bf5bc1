"""A Keras-2 char-RNN recipe: the nested generator's first layer is given batch_input_shape=[2, None], which Keras 3 rejects."""
import numpy as np
import keras
from keras import layers

generator = keras.Sequential([
    layers.Embedding(40, 8, batch_input_shape=[2, None], name="chars"),
    layers.GRU(16, return_sequences=True, name="gru"),
    layers.Dense(40, name="logits"),
], name="generator")

notes = keras.Input(shape=(None,), dtype="int32", name="notes")
model = keras.Model(notes, generator(notes), name="music")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
x = np.random.randint(0, 40, size=(2, 12))
model.fit(x, x, epochs=1, batch_size=2, verbose=0)
