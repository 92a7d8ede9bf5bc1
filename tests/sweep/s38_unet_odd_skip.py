"""U-Net skip join of a 15x15 encoder map and a 14x14 upsampled map."""
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(15, 15, 2)), layers.Conv2D(4, 3, padding="same", name="enc")], name="encoder")
up_path = keras.Sequential([keras.Input(shape=(15, 15, 4)), layers.MaxPooling2D(2, name="down"), layers.UpSampling2D(2, name="up")], name="up_path")
i = keras.Input(shape=(15, 15, 2), name="i")
skip = encoder(i)
model = keras.Model(i, layers.Concatenate(name="skip_join")([skip, up_path(skip)]), name="net")
