"""Fixed: the Sequential stacks a one-output view of the backbone, keras.Model(backbone.inputs, backbone.outputs[0])."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 8).astype("float32")
y = np.random.rand(8, 1).astype("float32")
inp = keras.Input(shape=(8,))
features = layers.Dense(6, activation="relu", name="features")(inp)
aux = layers.Dense(2, name="aux")(features)
backbone = keras.Model(inp, [features, aux], name="backbone")

model = keras.Sequential([keras.Input(shape=(8,)), keras.Model(backbone.inputs, backbone.outputs[0]), layers.Dense(1, name="head")], name="clf")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
