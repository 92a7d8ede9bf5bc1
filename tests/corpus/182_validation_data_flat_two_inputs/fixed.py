"""Fixed: the two validation inputs go in one list, validation_data=([wv_val, ng_val], y_val)."""
import numpy as np
import keras
from keras import layers

wv, ng = np.random.rand(8, 10).astype("float32"), np.random.rand(8, 6).astype("float32")
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
wv_val, ng_val = np.random.rand(4, 10).astype("float32"), np.random.rand(4, 6).astype("float32")
y_val = np.random.randint(0, 2, size=(4, 1)).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
wv_in = keras.Input(shape=(10,), name="wv")
ng_in = keras.Input(shape=(6,), name="ng")
joined = layers.Concatenate(name="join")([encoder(wv_in), ng_in])
model = keras.Model([wv_in, ng_in], layers.Dense(1, activation="sigmoid", name="label")(joined), name="tagger")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit([wv, ng], y, validation_data=([wv_val, ng_val], y_val), epochs=1, batch_size=len(wv), verbose=0)
