"""Limit 2: a nested feature block compresses counts with np.log1p inside a Lambda."""
import numpy as np
import keras
from keras import layers

c_in = keras.Input((7,), name="counts")
features = keras.Model(c_in, layers.Dense(4, name="mix")(layers.Lambda(lambda c: np.log1p(c), name="squash")(c_in)),
                       name="features")
x = keras.Input((7,))
model = keras.Model(x, layers.Dense(1, activation="sigmoid", name="churn")(features(x)), name="churn_model")
model.compile("adam", "binary_crossentropy")
model.fit(np.random.poisson(3, (8, 7)).astype("float32"), np.random.randint(0, 2, (8, 1)), epochs=1, verbose=0)
