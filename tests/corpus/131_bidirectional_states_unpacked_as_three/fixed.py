"""Fixed: the five tensors are unpacked, and each direction's states are joined for the 32-wide decoder."""
import numpy as np
import keras
from keras import layers

src = keras.Input(shape=(7, 5), name="src")
enc_out, forward_h, forward_c, backward_h, backward_c = layers.Bidirectional(layers.LSTM(16, return_state=True), name="bi_enc")(src)
state_h = layers.Concatenate(name="h")([forward_h, backward_h])
state_c = layers.Concatenate(name="c")([forward_c, backward_c])
encoder = keras.Model(src, [state_h, state_c], name="encoder")

source = keras.Input(shape=(7, 5), name="source")
target = keras.Input(shape=(6, 5), name="target")
seq = layers.LSTM(32, return_sequences=True, name="decoder_lstm")(target, initial_state=encoder(source))
model = keras.Model([source, target], layers.Dense(5, activation="softmax", name="next_char")(seq), name="translator")
model.compile(optimizer="adam", loss="categorical_crossentropy")
x = [np.random.rand(4, 7, 5).astype("float32"), np.random.rand(4, 6, 5).astype("float32")]
y = keras.utils.to_categorical(np.random.randint(0, 5, size=(4, 6)), 5)
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
