"""The class index (argmax of a nested classifier's probabilities) is the model's output, and the model is trained on it."""
import numpy as np
import keras
from keras import layers, ops

classifier = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(16, activation="relu", name="hidden"),
                               layers.Dense(5, activation="softmax", name="probs")], name="classifier")
x_in = keras.Input(shape=(12,), name="features")
probs = classifier(x_in)
label = layers.Lambda(lambda p: ops.cast(ops.argmax(p, axis=-1), "float32"), name="label")(probs)
model = keras.Model(x_in, label, name="tagger")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(8, 12).astype("float32"), np.random.randint(0, 5, size=(8,)).astype("float32"), epochs=1, batch_size=8, verbose=0)
