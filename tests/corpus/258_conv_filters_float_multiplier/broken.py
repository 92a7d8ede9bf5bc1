"""A MobileNet-style backbone scales its widths by a multiplier, Conv2D(32 * alpha, 3) with alpha = 0.75: the
filter count is the float 24.0, which Keras 3 cannot turn into a kernel shape."""
import numpy as np
import keras
from keras import layers

alpha = 0.75
x = np.random.rand(8, 16, 16, 3).astype("float32")
y = np.random.randint(0, 3, size=(8,))
backbone = keras.Sequential([keras.Input(shape=(16, 16, 3)),
                             layers.Conv2D(32 * alpha, 3, strides=2, activation="relu", name="stem"),
                             layers.GlobalAveragePooling2D(name="gap")], name="backbone")
image = keras.Input(shape=(16, 16, 3), name="image")
model = keras.Model(image, layers.Dense(3, activation="softmax", name="label")(backbone(image)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
