"""Limit 5: mixed_float16; a nested per-frame tagger ends in sigmoid, the outer model flattens its output."""
import numpy as np
import keras
from keras import layers

keras.mixed_precision.set_global_policy("mixed_float16")
f_in = keras.Input((10, 6))
tagger = keras.Model(f_in, layers.Dense(1, activation="sigmoid", name="is_speech")(f_in), name="frame_tagger")
x = keras.Input((10, 6), name="frames")
model = keras.Model(x, layers.Flatten(name="flat")(tagger(x)), name="vad")
model.compile("adam", "binary_crossentropy")
model.fit(np.random.rand(4, 10, 6), np.random.randint(0, 2, (4, 10)).astype("float32"), epochs=1, verbose=0)
