# Stack Overflow style: "my LSTM does not learn, what is wrong?"
import numpy as np
import keras
from keras.models import Sequential, Model
from keras.layers import LSTM, Dense, Input, TimeDistributed

timesteps, features = 10, 3
X = np.random.random((500, timesteps, features))
y = np.random.random((500, 1))

encoder = Sequential([Input((timesteps, features)), LSTM(16, return_sequences=True, name="lstm_1"),
                      TimeDistributed(Dense(8), name="per_step")], name="encoder")
inp = Input((timesteps, features))
out = Dense(1, name="out")(LSTM(4, name="lstm_2")(encoder(inp)))
regressor = Model(inp, out, name="regressor")
regressor.compile(optimizer="adam", loss="mse")

answer = input("Train now? [y/n] ")
if answer.strip().lower() == "y":
    regressor.fit(X, y, epochs=200, batch_size=8)
