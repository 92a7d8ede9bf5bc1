"""The article's example 1 as written: it does not build on Keras 3.

A Sequential char-CNN ends in Flatten, so it gives (batch, 1568); the word-level LSTM after it
needs (batch, steps, features). Keras raises "expected ndim=3, found ndim=2" naming only `lstm`.
Run `kernest check examples/broken/01_flatten_into_lstm.py` to see the interface, the path and the fix.
"""

import keras

L = keras.layers

char_cnn = keras.Sequential(
    [keras.Input((100, 50)), L.Conv1D(32, 3, name="conv"), L.MaxPooling1D(2, name="pool"), L.Flatten(name="flatten")],
    name="char_cnn",
)
word_lstm = keras.Sequential(
    [keras.Input((char_cnn.output_shape[1],)), L.LSTM(64, name="lstm"), L.Dense(1, name="out")], name="word_lstm"
)
model = keras.Sequential([char_cnn, word_lstm], name="article_model")
