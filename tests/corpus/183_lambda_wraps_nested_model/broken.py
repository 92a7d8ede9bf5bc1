"""(silent) A pretrained-style encoder model is applied inside Lambda(lambda t: encoder(t)): the Lambda holds no
weights, so the outer model does not track the encoder's variables and fit never trains them."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, activation="relu", name="hidden")], name="encoder")
inp = keras.Input(shape=(10,), name="features")
h = layers.Lambda(lambda t: encoder(t), name="encode")(inp)
model = keras.Model(inp, layers.Dense(1, name="score")(h), name="scorer")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
