"""A seq2seq recipe written for LSTM is switched to GRU: the encoder still unpacks three values,
enc_out, state_h, state_c = GRU(..., return_state=True)(x), but a GRU returns its output and one state."""
import numpy as np
import keras
from keras import layers

src = np.random.rand(8, 5, 3).astype("float32")
tgt = np.random.rand(8, 4, 2).astype("float32")
y = np.random.rand(8, 4, 1).astype("float32")

source = keras.Input(shape=(5, 3), name="source")
enc_out, state_h, state_c = layers.GRU(6, return_state=True, name="encoder_gru")(source)
target = keras.Input(shape=(4, 2), name="target")
dec = layers.GRU(6, return_sequences=True, name="decoder_gru")(target, initial_state=[state_h, state_c])
model = keras.Model([source, target], layers.Dense(1, name="step")(dec), name="seq2seq")
model.compile(optimizer="adam", loss="mse")
model.fit([src, tgt], y, epochs=1, batch_size=len(src), verbose=0)
