"""Fixed: the accuracy of a logit head thresholds at 0, keras.metrics.BinaryAccuracy(threshold=0.0)."""
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
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
