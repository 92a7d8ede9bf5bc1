"""A DQN's target network is made with keras.models.clone_model(q_net) and used at once for the targets:
clone_model copies the architecture only, so the targets come from freshly initialised weights."""
import numpy as np
import keras
from keras import layers

n_actions, gamma = 3, 0.9
states = np.random.rand(8, 4).astype("float32")
next_states = np.random.rand(8, 4).astype("float32")
rewards = np.random.rand(8).astype("float32")
actions = np.random.randint(0, n_actions, (8,))

trunk = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(16, activation="relu", name="hidden")], name="trunk")
obs = keras.Input(shape=(4,), name="obs")
q_net = keras.Model(obs, layers.Dense(n_actions, name="q")(trunk(obs)), name="q_net")
q_net.compile(optimizer="adam", loss="mse")
q_net.fit(states, np.random.rand(8, n_actions).astype("float32"), epochs=1, batch_size=8, verbose=0)

target = keras.models.clone_model(q_net)
next_q = target.predict(next_states, verbose=0)
q_values = q_net.predict(states, verbose=0)
q_values[np.arange(8), actions] = rewards + gamma * next_q.max(axis=1)
model = q_net
model.fit(states, q_values, epochs=1, batch_size=8, verbose=0)
