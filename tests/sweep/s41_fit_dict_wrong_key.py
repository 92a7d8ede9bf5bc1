"""A two-input rater (named inputs pixels, meta) is trained with a dict keyed "image" instead of "pixels"."""
import keras
import numpy as np
from keras import layers

p_in = keras.Input(shape=(12,), name="p_in")
pix_enc = keras.Model(p_in, layers.Dense(6, name="pd")(p_in), name="pix_enc")
pixels, meta = keras.Input(shape=(12,), name="pixels"), keras.Input(shape=(3,), name="meta")
rater = keras.Model([pixels, meta], layers.Dense(1, name="out")(layers.Concatenate()([pix_enc(pixels), meta])), name="rater")
rater.compile(optimizer="sgd", loss="mse")
images, extras = np.random.rand(16, 12), np.random.rand(16, 3)
rater.fit({"image": images, "meta": extras}, np.random.rand(16, 1), epochs=1, verbose=0)
