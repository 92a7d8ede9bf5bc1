"""Product photos: a two-headed detector (box, class features) whose whole output goes to a one-input ranker."""
import numpy as np
import keras
from keras import layers

photo_in = keras.Input(shape=(24, 24, 3), name="photo_in")
trunk = layers.GlobalAveragePooling2D(name="gap")(layers.Conv2D(16, 3, activation="relu", name="conv")(photo_in))
box = layers.Dense(4, name="box")(trunk)
cls_feat = layers.Dense(8, activation="relu", name="cls_feat")(trunk)
detector = keras.Model(photo_in, [box, cls_feat], name="detector")

feat_in = keras.Input(shape=(8,), name="feat_in")
ranker = keras.Model(feat_in, layers.Dense(1, name="score")(feat_in), name="ranker")

photo = keras.Input(shape=(24, 24, 3), name="photo")
model = keras.Model(photo, ranker(detector(photo)[1]), name="photo_ranker")
model.compile(optimizer="adam", loss="mse")

x = np.random.rand(8, 24, 24, 3).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
