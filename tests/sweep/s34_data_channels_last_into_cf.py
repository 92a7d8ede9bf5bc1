"""A channels-first CNN trained on channels-last image arrays."""
import keras
import numpy as np
from keras import layers

img = keras.Input(shape=(3, 16, 16))
cnn = keras.Model(img, layers.GlobalAveragePooling2D(data_format="channels_first")(layers.Conv2D(4, 3, data_format="channels_first", name="conv")(img)), name="cnn")
i = keras.Input(shape=(3, 16, 16), name="i")
net = keras.Model(i, layers.Dense(1, name="score")(cnn(i)), name="net")
net.compile(optimizer="adam", loss="mse")
images = np.random.rand(8, 16, 16, 3).astype("float32")
net.fit(images, np.random.rand(8, 1), epochs=1, verbose=0)
