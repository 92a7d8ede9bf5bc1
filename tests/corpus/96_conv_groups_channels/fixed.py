"""Fixed: groups=2 divides both the 6 input channels and the 8 filters."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(16, 16, 3), name="img")
stem = keras.Model(img, layers.Conv2D(6, 3, padding="same", name="stem_conv")(img), name="stem")

image = keras.Input(shape=(16, 16, 3), name="image")
h = layers.Conv2D(8, 3, padding="same", groups=2, name="grouped")(stem(image))
out = layers.Dense(2, activation="softmax", name="cls")(layers.GlobalAveragePooling2D(name="gap")(h))
model = keras.Model(image, out, name="net")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(4, 16, 16, 3), np.random.randint(0, 2, size=(4,)), epochs=1, batch_size=4, verbose=0)
