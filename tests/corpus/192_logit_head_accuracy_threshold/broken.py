"""(silent) Transfer-learning recipe: a linear Dense(1) logit head on a nested backbone, trained with
BinaryCrossentropy(from_logits=True) (right), and metrics=["accuracy"], which Keras reads as BinaryAccuracy with
threshold 0.5: on logits the class boundary is 0, so every logit in (0, 0.5) is counted as class 0."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 16).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
backbone = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(8, activation="relu", name="hidden")],
                            name="backbone")
inp = keras.Input(shape=(16,), name="features")
logit = layers.Dense(1, name="logit")(backbone(inp))
model = keras.Model(inp, logit, name="classifier")
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
