"""SimpleRNN fed a rank-4 (batch, 3, 4, 5) tensor."""
import keras
from keras import layers

grid = keras.Sequential([keras.Input(shape=(3, 4, 5)), layers.Dense(5, name="mix")], name="grid")
rnn_head = keras.Sequential([layers.SimpleRNN(4, name="rnn")], name="rnn_head")
g = keras.Input(shape=(3, 4, 5), name="g")
model = keras.Model(g, rnn_head(grid(g)), name="net")
