"""Transfer learning on 28x28 digits: a VGG16 backbone is built for 28x28 inputs, below its 32x32 minimum."""
import numpy as np
import keras
from keras import layers

digits = np.random.rand(8, 28, 28, 1).astype("float32")
rgb = np.repeat(digits, 3, axis=-1)

base = keras.applications.VGG16(include_top=False, weights=None, input_shape=(28, 28, 3), pooling="avg")
base.trainable = False
img = keras.Input(shape=(28, 28, 3), name="img")
out = layers.Dense(10, activation="softmax", name="digit")(base(img, training=False))
model = keras.Model(img, out, name="digit_classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(rgb, np.random.randint(0, 10, size=(8,)), epochs=1, batch_size=8, verbose=0)
