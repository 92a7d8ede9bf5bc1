# After tensorflow/tensorflow#40457, keras-team/keras#20701 and keras-team/keras#11735: class_weight passed to fit
# on a model with two outputs (a shared nested encoder, an imbalanced "fraud" head and an "amount" head).
import keras
import numpy as np
from keras import layers as L

inp = keras.Input((20,))
encoder = keras.Model(inp, L.Dense(32, activation="relu")(inp), name="encoder")
tx = keras.Input((20,), name="tx")
z = encoder(tx)
fraud = L.Dense(1, activation="sigmoid", name="fraud")(z)
amount = L.Dense(1, name="amount")(z)
model = keras.Model(tx, {"fraud": fraud, "amount": amount}, name="bank")
model.compile("adam", loss={"fraud": "binary_crossentropy", "amount": "mse"})
X = np.random.rand(64, 20)
y = {"fraud": (np.random.rand(64, 1) > 0.9).astype("float32"), "amount": np.random.rand(64, 1)}
model.fit(X, y, class_weight={0: 1.0, 1: 9.0}, epochs=1, verbose=0)
