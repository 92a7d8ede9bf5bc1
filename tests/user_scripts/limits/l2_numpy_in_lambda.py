"""Limit 2 (not fixed): a nested block's Lambda calls np.array(...) on its symbolic input."""
import numpy as np
import keras
from keras import layers

b_in = keras.Input((5,))
block = keras.Model(b_in, layers.Lambda(lambda t: np.array(t) * 2.0, name="double")(layers.Dense(5)(b_in)),
                    name="block")
i = keras.Input((5,))
model = keras.Model(i, layers.Dense(1, name="out")(block(i)), name="net")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 5), np.random.rand(8, 1), epochs=1, verbose=0)
