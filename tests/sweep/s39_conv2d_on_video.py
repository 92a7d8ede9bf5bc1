"""Conv2D frame encoder fed a (batch, 4, 8, 8, 3) clip."""
import keras
from keras import layers

clip = keras.Sequential([keras.Input(shape=(4, 8, 8, 3)), layers.Dense(3, name="mix")], name="clip")
frame_enc = keras.Sequential([layers.Conv2D(4, 3, name="conv")], name="frame_enc")
v = keras.Input(shape=(4, 8, 8, 3), name="v")
model = keras.Model(v, frame_enc(clip(v)), name="net")
