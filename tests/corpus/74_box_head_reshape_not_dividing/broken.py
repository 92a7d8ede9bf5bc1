"""Box regression: the head reshapes the nested backbone's (batch, 4, 4, 32) feature map (512 values) straight to (4 boxes, 10 values)."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(16, 16, 3), name="img")
f = layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(img)
f = layers.MaxPooling2D(name="pool1")(f)
f = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(f)
f = layers.MaxPooling2D(name="pool2")(f)
backbone = keras.Model(img, f, name="backbone")

image = keras.Input(shape=(16, 16, 3), name="image")
boxes = layers.Reshape((4, 10), name="boxes")(backbone(image))
model = keras.Model(image, boxes, name="detector")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(4, 16, 16, 3).astype("float32")
y = np.random.rand(4, 4, 10).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
