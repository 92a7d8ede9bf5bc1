# CORRECT model (false-alarm check). keras.io "Transfer learning & fine-tuning" recipe: augmentation as a nested
# Sequential, a MobileNetV3Small backbone with its own preprocessing and pooling="avg", called with training=False,
# then unfrozen and recompiled for a second, slower fit.
import keras
import numpy as np
from keras import layers as L

augment = keras.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.1)], name="augment")
base = keras.applications.MobileNetV3Small(input_shape=(64, 64, 3), include_top=False, weights=None,
                                           pooling="avg", include_preprocessing=True)
base.trainable = False
img = keras.Input((64, 64, 3))
x = augment(img)
x = base(x, training=False)
x = L.Dropout(0.2)(x)
out = L.Dense(1, activation="sigmoid")(x)
model = keras.Model(img, out, name="cats_dogs")
model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy", metrics=["accuracy"])
images = np.random.randint(0, 255, (8, 64, 64, 3)).astype("float32")
labels = np.random.randint(0, 2, (8, 1))
model.fit(images, labels, epochs=1, verbose=0)
base.trainable = True
model.compile(keras.optimizers.Adam(1e-5), "binary_crossentropy", metrics=["accuracy"])
model.fit(images, labels, epochs=1, verbose=0)
