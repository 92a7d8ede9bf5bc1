"""A three-input fusion model (audio, video, context) is fit with only two arrays."""
import keras
import numpy as np
from keras import layers

a_in = keras.Input(shape=(20,))
audio_enc = keras.Model(a_in, layers.Dense(4, name="ad")(a_in), name="audio_enc")
audio, video, context = (keras.Input(shape=(20,), name="audio"), keras.Input(shape=(9,), name="video"),
                         keras.Input(shape=(5,), name="context"))
fused = layers.Concatenate()([audio_enc(audio), video, context])
fusion = keras.Model([audio, video, context], layers.Dense(2, name="cls")(fused), name="fusion")
fusion.compile(optimizer="adam", loss="mse")
xa, xv = np.random.rand(10, 20), np.random.rand(10, 9)
fusion.fit([xa, xv], np.random.rand(10, 2), epochs=1, verbose=0)
