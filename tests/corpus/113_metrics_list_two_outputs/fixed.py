"""Fixed: one metrics entry per output."""
import numpy as np
import keras
from keras import layers

trunk = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="relu", name="hidden")], name="trunk")
vitals = keras.Input(shape=(10,), name="vitals")
h = trunk(vitals)
severity = layers.Dense(3, activation="softmax", name="severity")(h)
ward = layers.Dense(4, activation="softmax", name="ward")(h)
model = keras.Model(vitals, [severity, ward], name="triage")
model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "sparse_categorical_crossentropy"],
              metrics=["accuracy", "accuracy"])
x = np.random.rand(8, 10)
model.fit(x, [np.random.randint(0, 3, (8,)), np.random.randint(0, 4, (8,))], epochs=1, batch_size=8, verbose=0)
