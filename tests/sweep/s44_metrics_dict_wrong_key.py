"""A two-headed regressor (nested heads price_head, volume_head) with a metrics dict keyed "price", "volume"."""
import keras
import numpy as np
from keras import layers


def head(name, units):
    i = keras.Input(shape=(6,))
    return keras.Model(i, layers.Dense(units, name="d")(i), name=name)

x = keras.Input(shape=(11,), name="market")
z = layers.Dense(6, name="shared")(x)
forecaster = keras.Model(x, [head("price_head", 1)(z), head("volume_head", 2)(z)], name="forecaster")
forecaster.compile(optimizer="adam", loss="mse", metrics={"price": ["mae"], "volume": ["mae"]})
forecaster.fit(np.random.rand(8, 11), [np.random.rand(8, 1), np.random.rand(8, 2)], epochs=1, verbose=0)
