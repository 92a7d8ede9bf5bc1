"""One Adam instance compiles two models that share a nested encoder: a reconstruction pretrainer and a classifier.
The optimizer is built on the pretrainer's variables at its first fit; the classifier's fit then hands it a Dense
it never saw."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, activation="relu", name="code")], name="encoder")
inp = keras.Input(shape=(10,), name="features")
pretrain = keras.Model(inp, layers.Dense(10, name="recon")(encoder(inp)), name="pretrain")
classifier = keras.Model(inp, layers.Dense(1, activation="sigmoid", name="label")(encoder(inp)), name="classifier")
opt = keras.optimizers.Adam(learning_rate=0.001)
pretrain.compile(optimizer=opt, loss="mse")
pretrain.fit(x, x, epochs=1, verbose=0)
classifier.compile(optimizer=opt, loss="binary_crossentropy")
model = classifier
model.fit(x, y, epochs=1, verbose=0)
