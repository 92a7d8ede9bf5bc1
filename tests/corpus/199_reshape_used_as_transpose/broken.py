"""(silent) A segmentation head on a nested channels-last FCN turns the (4, 4, 3) class map into per-pixel rows the
channels-first way: Reshape((3, 16)) then Permute((2, 1)). On channels-last maps the Reshape does not move the class
axis; it cuts the memory in other places, so each "pixel" row mixes classes of several pixels."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 8, 8, 3).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, (8, 16)), 3)
image = keras.Input(shape=(8, 8, 3), name="image")
t = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(image)
t = layers.MaxPooling2D(2, name="pool")(t)
t = layers.Conv2D(3, 1, name="classes")(t)
fcn = keras.Model(image, t, name="fcn")
inp = keras.Input(shape=(8, 8, 3), name="tile")
t = layers.Reshape((3, 16), name="flat")(fcn(inp))
t = layers.Permute((2, 1), name="swap")(t)
probs = layers.Activation("softmax", name="probs")(t)
model = keras.Model(inp, probs, name="segmenter")
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
