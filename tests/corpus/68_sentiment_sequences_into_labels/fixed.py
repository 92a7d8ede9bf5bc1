"""Sentiment: the nested LSTM encoder returns sequences, so the softmax head predicts per step while the labels are one per review."""
import numpy as np
import keras
from keras import layers

steps_in = keras.Input(shape=(45, 2), name="steps_in")
encoder = keras.Model(
    steps_in, layers.LSTM(32, return_sequences=False, name="lstm")(steps_in), name="encoder"
)

steps = keras.Input(shape=(45, 2), name="steps")
sentiment = layers.Dense(3, activation="softmax", name="sentiment")(encoder(steps))
model = keras.Model(steps, sentiment, name="sentiment_clf")
model.compile(optimizer="adam", loss="categorical_crossentropy")

x = np.random.rand(4, 45, 2).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, size=(4,)), 3)
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
