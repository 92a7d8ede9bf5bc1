"""A pre-built LSTM tracker for (10 steps, 3 features) gets (3, 10)."""
import keras
from keras import layers

s_in = keras.Input(shape=(10, 3))
tracker = keras.Model(s_in, layers.LSTM(8, name="lstm")(s_in), name="tracker")
sensor_enc = keras.Sequential([keras.Input(shape=(3, 7)), layers.Dense(10, name="mix")], name="sensor_enc")
i = keras.Input(shape=(3, 7), name="i")
model = keras.Model(i, tracker(sensor_enc(i)), name="net")
