"""Seq2seq: the decoder LSTM is 64 wide but the nested encoder's states are 32 wide."""
import numpy as np
import keras
from keras import layers

src_in = keras.Input(shape=(6, 5), name="src_in")
_, state_h, state_c = layers.LSTM(32, return_state=True, name="enc_lstm")(src_in)
encoder = keras.Model(src_in, [state_h, state_c], name="encoder")

source = keras.Input(shape=(6, 5), name="source")
target = keras.Input(shape=(7, 5), name="target")
seq = layers.LSTM(64, return_sequences=True, name="decoder_lstm")(target, initial_state=encoder(source))
out = layers.Dense(5, activation="softmax", name="next_char")(seq)
model = keras.Model([source, target], out, name="translator")
model.compile(optimizer="adam", loss="categorical_crossentropy")

x = [np.random.rand(4, 6, 5).astype("float32"), np.random.rand(4, 7, 5).astype("float32")]
y = keras.utils.to_categorical(np.random.randint(0, 5, size=(4, 7)), 5)
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
