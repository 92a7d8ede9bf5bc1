"""MaxPooling3D(2) over a clip with a single frame: (batch, 1, 8, 8, 3)."""
import keras
from keras import layers

clip = keras.Sequential([keras.Input(shape=(1, 8, 8, 3)), layers.Dense(3, name="mix")], name="clip")
pool3 = keras.Sequential([layers.MaxPooling3D(2, name="pool3d")], name="pool3")
v = keras.Input(shape=(1, 8, 8, 3), name="v")
model = keras.Model(v, pool3(clip(v)), name="net")
