"""CT slices: a conv stem built with outputs=[x] returns a one-element list, and the outer Conv2D is called on it."""
import numpy as np
import keras
from keras import layers

slice_in = keras.Input(shape=(24, 24, 1), name="slice_in")
features = layers.Conv2D(8, 3, padding="same", activation="relu", name="stem_conv")(slice_in)
stem = keras.Model(slice_in, [features], name="stem")

scan = keras.Input(shape=(24, 24, 1), name="scan")
x = layers.Conv2D(4, 3, padding="same", activation="relu", name="refine")(stem(scan))
x = layers.GlobalAveragePooling2D(name="gap")(x)
lesion = layers.Dense(1, activation="sigmoid", name="lesion")(x)
model = keras.Model(scan, lesion, name="lesion_detector")
model.compile(optimizer="adam", loss="binary_crossentropy")

x_data = np.random.rand(8, 24, 24, 1).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
model.fit(x_data, y, epochs=1, batch_size=len(x_data), verbose=0)
