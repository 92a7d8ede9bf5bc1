"""A two-headed ticket router (a shared nested encoder, a softmax queue head and a sigmoid urgency head) compiled
with metrics given per output as a dict: Precision on the queue head, whose loss is sparse_categorical_crossentropy
on class ids. Precision compares labels and predictions position by position, so fit fails on the shapes."""
import numpy as np
import keras
from keras import layers

text = keras.Input((20,), name="text")
encoder = keras.Model(text, layers.Dense(16, activation="relu", name="enc")(text), name="encoder")
ticket = keras.Input((20,), name="ticket")
h = encoder(ticket)
queue = layers.Dense(5, activation="softmax", name="queue")(h)
urgent = layers.Dense(1, activation="sigmoid", name="urgent")(h)
router = keras.Model(ticket, {"queue": queue, "urgent": urgent}, name="router")
router.compile(optimizer="adam",
               loss={"queue": "sparse_categorical_crossentropy", "urgent": "binary_crossentropy"},
               metrics={"queue": [keras.metrics.Precision()], "urgent": ["accuracy"]})
x = np.random.rand(32, 20).astype("float32")
router.fit(x, {"queue": np.random.randint(0, 5, size=(32,)), "urgent": np.random.randint(0, 2, size=(32, 1))},
           epochs=1, verbose=0)
