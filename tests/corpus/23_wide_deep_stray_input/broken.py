"""Wide & deep ranker: the deep tower is called on a fresh keras.Input instead of the declared one."""
import numpy as np
import keras
from keras import layers

dense_in = keras.Input(shape=(12,), name="dense_features")
wide = layers.Dense(1, name="wide")(dense_in)

deep_tower = keras.Sequential(
    [
        keras.Input(shape=(12,)),
        layers.Dense(32, activation="relu", name="deep_h1"),
        layers.Dense(1, name="deep_h2"),
    ],
    name="deep_tower",
)
deep_out = deep_tower(keras.Input(shape=(12,), name="deep_features"))  # a second, stray Input

logit = layers.Add(name="logit")([wide, deep_out])
model = keras.Model(dense_in, layers.Activation("sigmoid", name="ctr")(logit), name="ranker")
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
