# After https://taourl.com/read-2014044.html (a Sequential whose declared input does not match what reaches it):
# a Sequential head built for flat vectors is called on a 2-D feature map inside a functional model.
import keras
import numpy as np
from keras import layers as L

head = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.Dense(10, activation="softmax")],
                        name="head")
img = keras.Input((8, 8, 1), name="img")
h = L.Conv2D(4, 3, padding="same", activation="relu")(img)
h = L.MaxPooling2D()(h)
out = head(h)
model = keras.Model(img, out, name="digits")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(16, 8, 8, 1), np.random.randint(0, 10, (16,)), verbose=0)
