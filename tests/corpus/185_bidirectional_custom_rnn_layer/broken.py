"""A custom sequence-encoder layer that holds an LSTM is wrapped in Bidirectional, as one would wrap an LSTM:
Bidirectional needs a recurrent layer it can run backwards (go_backwards, return_sequences), which the custom
layer is not."""
import numpy as np
import keras
from keras import layers


class SeqEncoder(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.lstm = layers.LSTM(8, name="lstm")

    def call(self, inputs):
        return self.lstm(inputs)


x = np.random.rand(8, 7, 5).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
tokens = keras.Input(shape=(7, 5), name="tokens")
h = layers.Bidirectional(SeqEncoder(name="rnn"), name="bi")(tokens)
model = keras.Model(tokens, layers.Dense(1, activation="sigmoid", name="label")(h), name="tagger")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
