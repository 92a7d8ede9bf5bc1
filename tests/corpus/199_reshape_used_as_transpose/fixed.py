"""Fixed: on channels-last maps the class axis is already last; Reshape((16, 3)) gives one row per pixel."""
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
t = layers.Reshape((16, 3), name="flat")(fcn(inp))
probs = layers.Activation("softmax", name="probs")(t)
model = keras.Model(inp, probs, name="segmenter")
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
