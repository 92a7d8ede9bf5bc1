"""Dialogue act tagging: a two-input turn model (utterance vector, speaker features) mapped over the turns with TimeDistributed."""
import numpy as np
import keras
import kernest
from keras import layers

utt_in = keras.Input(shape=(12,), name="utt_in")
spk_in = keras.Input(shape=(3,), name="spk_in")
turn = layers.Concatenate(name="turn_cat")([layers.Dense(8, activation="relu", name="utt_proj")(utt_in), spk_in])
turn_model = keras.Model([utt_in, spk_in], layers.Dense(8, activation="relu", name="turn_vec")(turn), name="turn_model")

utterances = keras.Input(shape=(7, 12), name="utterances")
speakers = keras.Input(shape=(7, 3), name="speakers")
per_turn = kernest.over(1, turn_model, name="per_turn")([utterances, speakers])
context = layers.GRU(16, name="context")(per_turn)
act = layers.Dense(4, activation="softmax", name="act")(context)
model = keras.Model([utterances, speakers], act, name="dialogue_tagger")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

u = np.random.rand(4, 7, 12).astype("float32")
s = np.random.rand(4, 7, 3).astype("float32")
y = np.random.randint(0, 4, size=(4,))
model.fit([u, s], y, epochs=1, batch_size=len(u), verbose=0)
