# CORRECT model (false-alarm check). keras.io "Transfer learning & fine-tuning": the base (with
# BatchNormalization) is called with training=False, frozen, trained, then unfrozen and recompiled.
import keras
import numpy as np
from keras import layers as L

b_in = keras.Input((8, 8, 3))
h = L.Conv2D(8, 3, padding="same")(b_in)
h = L.BatchNormalization()(h)
h = L.ReLU()(h)
base = keras.Model(b_in, L.GlobalAveragePooling2D()(h), name="base")
base.trainable = False
img = keras.Input((8, 8, 3))
out = L.Dense(1, activation="sigmoid")(L.Dropout(0.2)(base(img, training=False)))
model = keras.Model(img, out, name="clf")
model.compile("adam", "binary_crossentropy")
x = np.random.rand(16, 8, 8, 3).astype("float32")
y = np.random.randint(0, 2, (16, 1)).astype("float32")
model.fit(x, y, verbose=0)
base.trainable = True
model.compile(keras.optimizers.Adam(1e-5), "binary_crossentropy")
model.fit(x, y, verbose=0)
