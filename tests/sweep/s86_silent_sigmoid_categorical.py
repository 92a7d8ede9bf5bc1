"""Silent: a nested scorer ends in two independent sigmoids, trained with a 2-class categorical cross-entropy."""
import keras
import numpy as np
from keras import layers

s_in = keras.Input(shape=(7,))
h = layers.Dense(10, activation="relu", name="h")(s_in)
scorer = keras.Model(s_in, layers.Dense(2, activation="sigmoid", name="yes_no")(h), name="scorer")
x = keras.Input(shape=(7,), name="x")
model = keras.Model(x, scorer(x), name="model")
model.compile("adam", "categorical_crossentropy")
y = keras.utils.to_categorical(np.random.randint(0, 2, 16), 2)
model.fit(np.random.rand(16, 7).astype("float32"), y, epochs=1, verbose=0)
