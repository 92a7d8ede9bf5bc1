"""Labels given as a dict keyed "risk", "cost" to a model whose nested heads are risk_head, cost_head."""
import keras
import numpy as np
from keras import layers


def head(name):
    i = keras.Input(shape=(4,))
    return keras.Model(i, layers.Dense(1, name="d")(i), name=name)

x = keras.Input(shape=(7,), name="claims")
z = layers.Dense(4, name="z")(x)
insurer = keras.Model(x, [head("risk_head")(z), head("cost_head")(z)], name="insurer")
insurer.compile(optimizer="adam", loss="mse")
insurer.fit(np.random.rand(8, 7), {"risk": np.random.rand(8, 1), "cost": np.random.rand(8, 1)}, epochs=1, verbose=0)
