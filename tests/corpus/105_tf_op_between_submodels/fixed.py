"""Fixed: the Keras op keras.ops.expand_dims adds the channel axis on the symbolic tensor."""
import numpy as np
import keras
from keras import layers

series = keras.Input(shape=(24,), name="series")
encoder = keras.Sequential([keras.Input(shape=(24,)), layers.Dense(24, activation="relu", name="smooth")], name="encoder")
decoder = keras.Sequential([keras.Input(shape=(24, 1)), layers.Conv1D(4, 3, name="conv"),
                            layers.GlobalMaxPooling1D(name="pool"), layers.Dense(1, name="next")], name="decoder")
h = keras.ops.expand_dims(encoder(series), -1)
model = keras.Model(series, decoder(h), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 24), np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
