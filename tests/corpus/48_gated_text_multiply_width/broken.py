"""Support tickets: a text encoder's features are gated by a sigmoid gate network with Multiply, but the gate is narrower."""
import numpy as np
import keras
from keras import layers

tok_in = keras.Input(shape=(40,), name="tok_in")
text_encoder = keras.Model(tok_in, layers.Dense(64, activation="relu", name="text_proj")(tok_in), name="text_encoder")

meta_in = keras.Input(shape=(5,), name="meta_in")
gate_net = keras.Model(meta_in, layers.Dense(32, activation="sigmoid", name="gate")(meta_in), name="gate_net")

tokens = keras.Input(shape=(40,), name="tokens")
meta = keras.Input(shape=(5,), name="meta")
gated = layers.Multiply(name="gated")([text_encoder(tokens), gate_net(meta)])
urgency = layers.Dense(1, activation="sigmoid", name="urgency")(gated)
model = keras.Model([tokens, meta], urgency, name="ticket_triage")
model.compile(optimizer="adam", loss="binary_crossentropy")

x1 = np.random.rand(8, 40).astype("float32")
x2 = np.random.rand(8, 5).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
