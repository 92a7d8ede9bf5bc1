"""Fixed: the labels are given as a dict with the output keys, so each head gets its own labels."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y_rating = (np.random.rand(8, 1) * 5).astype("float32")
y_clicks = (np.random.rand(8, 1) * 100).astype("float32")
trunk = keras.Sequential([keras.Input(shape=(6,)),
                          layers.Dense(8, activation="relu", name="shared")], name="trunk")
listing = keras.Input(shape=(6,), name="listing")
hidden = trunk(listing)
model = keras.Model(listing, {"rating": layers.Dense(1, name="rating")(hidden),
                              "clicks": layers.Dense(1, name="clicks")(hidden)}, name="ranker")
model.compile(optimizer="adam", loss="mse")
model.fit(x, {"rating": y_rating, "clicks": y_clicks}, epochs=1, batch_size=len(x), verbose=0)
