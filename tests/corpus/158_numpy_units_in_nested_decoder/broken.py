"""An autoencoder's nested decoder sizes its last Dense with np.prod(image_shape), a NumPy integer: Keras 3 asks for a Python int."""
import numpy as np
import keras
from keras import layers

image_shape = (8, 8)
encoder = keras.Sequential([keras.Input(shape=image_shape), layers.Flatten(name="flat"),
                            layers.Dense(16, activation="relu", name="code")], name="encoder")
decoder = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(32, activation="relu", name="hidden"),
                            layers.Dense(np.prod(image_shape), name="pixels"),
                            layers.Reshape(image_shape, name="image")], name="decoder")
x_in = keras.Input(shape=image_shape, name="images")
model = keras.Model(x_in, decoder(encoder(x_in)), name="autoencoder")
model.compile(optimizer="adam", loss="mse")
data = np.random.rand(8, 8, 8).astype("float32")
model.fit(data, data, epochs=1, batch_size=8, verbose=0)
