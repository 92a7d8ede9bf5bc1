"""A segmentation decoder nested in a U-Net-like model upsamples with tf.image.resize inside a Lambda: fine on
TensorFlow, but the script is run with KERAS_BACKEND=jax (or torch), where tf.* cannot take the backend's tensors."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

feats = keras.Input((8, 8, 16), name="feats")
x = layers.Conv2D(8, 3, padding="same", activation="relu", name="reduce")(feats)
x = layers.Lambda(lambda t: tf.image.resize(t, (32, 32)), name="upsample")(x)
mask = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
decoder = keras.Model(feats, mask, name="decoder")

image = keras.Input((32, 32, 3), name="image")
y = layers.Conv2D(16, 3, strides=4, padding="same", activation="relu", name="stem")(image)
segmenter = keras.Model(image, decoder(y), name="segmenter")
segmenter.compile(optimizer="adam", loss="binary_crossentropy")
segmenter.fit(np.random.rand(16, 32, 32, 3).astype("float32"),
              np.random.randint(0, 2, size=(16, 32, 32, 1)).astype("float32"), epochs=1, verbose=0)
