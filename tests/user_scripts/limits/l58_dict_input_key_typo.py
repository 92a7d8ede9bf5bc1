"""A functional pricing model with dict inputs {"rooms", "area", "zip_code"} (a nested location embedding for
zip_code) is fit with a dict whose key is "zipcode"."""
import numpy as np
import keras
from keras import layers

zip_in = keras.Input((1,), dtype="int32", name="zip")
location = keras.Model(zip_in, layers.Flatten()(layers.Embedding(1000, 4, name="zip_vec")(zip_in)), name="location")
inputs = {"rooms": keras.Input((1,), name="rooms"), "area": keras.Input((1,), name="area"),
          "zip_code": keras.Input((1,), dtype="int32", name="zip_code")}
h = layers.Concatenate(name="join")([inputs["rooms"], inputs["area"], location(inputs["zip_code"])])
model = keras.Model(inputs, layers.Dense(1, name="price")(h), name="pricing")
model.compile(optimizer="adam", loss="mse")
n = 50
model.fit({"rooms": np.random.rand(n, 1), "area": np.random.rand(n, 1), "zipcode": np.random.randint(0, 1000, (n, 1))},
          np.random.rand(n, 1), epochs=1, verbose=0)
