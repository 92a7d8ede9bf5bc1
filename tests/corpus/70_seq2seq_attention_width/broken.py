"""Seq2seq with Luong attention: the decoder LSTM (64 units) attends over a nested Bidirectional encoder whose states are 2 x 16 = 32 wide."""
import numpy as np
import keras
from keras import layers

src_in = keras.Input(shape=(10, 8), name="src_in")
encoder = keras.Model(
    src_in,
    layers.Bidirectional(layers.LSTM(16, return_sequences=True), name="bilstm")(src_in),
    name="encoder",
)

source = keras.Input(shape=(10, 8), name="source")
target = keras.Input(shape=(7, 8), name="target")
dec = layers.LSTM(64, return_sequences=True, name="decoder_lstm")(target)
context = layers.Attention(name="attention")([dec, encoder(source)])
out = layers.Dense(8, activation="softmax", name="next_token")(layers.Concatenate(name="join")([dec, context]))
model = keras.Model([source, target], out, name="translator")
model.compile(optimizer="adam", loss="categorical_crossentropy")

x = [np.random.rand(4, 10, 8).astype("float32"), np.random.rand(4, 7, 8).astype("float32")]
y = keras.utils.to_categorical(np.random.randint(0, 8, size=(4, 7)), 8)
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
