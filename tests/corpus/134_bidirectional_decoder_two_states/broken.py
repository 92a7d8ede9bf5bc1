"""Seq2seq: a nested LSTM encoder's [h, c] start a Bidirectional LSTM decoder, which needs states for both directions."""
import numpy as np
import keras
from keras import layers

src = keras.Input(shape=(6, 4), name="src")
_, h, c = layers.LSTM(16, return_state=True, name="enc_lstm")(src)
encoder = keras.Model(src, [h, c], name="encoder")

source = keras.Input(shape=(6, 4), name="source")
target = keras.Input(shape=(5, 4), name="target")
state_h, state_c = encoder(source)
seq = layers.Bidirectional(layers.LSTM(16, return_sequences=True), name="bi_dec")(target, initial_state=[state_h, state_c])
model = keras.Model([source, target], layers.Dense(4, activation="softmax", name="next_tok")(seq), name="translator")
model.compile(optimizer="adam", loss="categorical_crossentropy")
x = [np.random.rand(4, 6, 4).astype("float32"), np.random.rand(4, 5, 4).astype("float32")]
y = keras.utils.to_categorical(np.random.randint(0, 4, size=(4, 5)), 4)
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
