"""Stock features: a price tower gives (batch, 8) and an indicator tower gives (batch, 8, 2); the user wants (batch, 8, 3) from Concatenate."""
import numpy as np
import keras
from keras import layers

p_in = keras.Input(shape=(8,), name="p_in")
price_tower = keras.Model(p_in, layers.Dense(8, name="price_proj")(p_in), name="price_tower")
i_in = keras.Input(shape=(8, 4), name="i_in")
indicator_tower = keras.Model(i_in, layers.Dense(2, name="ind_proj")(i_in), name="indicator_tower")

prices = keras.Input(shape=(8,), name="prices")
indicators = keras.Input(shape=(8, 4), name="indicators")
joined = layers.Concatenate(name="join")([price_tower(prices), indicator_tower(indicators)])
out = layers.Dense(1, name="next_return")(layers.LSTM(8, name="lstm")(joined))
model = keras.Model([prices, indicators], out, name="stock_model")
model.compile(optimizer="adam", loss="mse")

x = [np.random.rand(4, 8).astype("float32"), np.random.rand(4, 8, 4).astype("float32")]
y = np.random.rand(4, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
