"""RepeatVector decoder fed the (batch, 6, 8) sequence of a return_sequences LSTM."""
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(6, 3)), layers.LSTM(8, return_sequences=True, name="lstm")], name="encoder")
decoder = keras.Sequential([layers.RepeatVector(4, name="repeat"), layers.LSTM(3, return_sequences=True)], name="decoder")
i = keras.Input(shape=(6, 3), name="i")
model = keras.Model(i, decoder(encoder(i)), name="net")
