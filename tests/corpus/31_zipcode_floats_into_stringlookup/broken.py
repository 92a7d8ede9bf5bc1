"""Housing-price model: ZIP codes read from a CSV as floats go into a StringLookup (built from a string
vocabulary) inside the location encoder. Nothing complains until fit, where TF cannot cast float to string."""
import numpy as np
import keras
from keras import layers

zip_vocab = ["94103", "94110", "10001", "60601", "73301"]
zip_in = keras.Input(shape=(1,), name="zip_code")
ids = layers.StringLookup(vocabulary=zip_vocab, name="zip_lookup")(zip_in)
vec = layers.Flatten(name="zip_flat")(layers.Embedding(len(zip_vocab) + 1, 8, name="zip_emb")(ids))
location_encoder = keras.Model(zip_in, vec, name="location_encoder")

zip_code = keras.Input(shape=(1,), name="zip")
rooms = keras.Input(shape=(3,), name="rooms")
h = layers.Concatenate(name="features")([location_encoder(zip_code), rooms])
model = keras.Model([zip_code, rooms], layers.Dense(1, name="price")(h), name="house_price")
model.compile(optimizer="adam", loss="mse")

zips = np.array([[94103.0], [10001.0], [60601.0], [94110.0]], dtype="float32")
x_rooms = np.random.rand(4, 3).astype("float32")
y = np.random.rand(4, 1).astype("float32")
model.fit([zips, x_rooms], y, epochs=1, batch_size=len(y), verbose=0)
