"""Under the mixed_float16 policy, the softmax head on a nested encoder computes and outputs float16: the loss reads float16 probabilities (the mixed-precision guide asks for a float32 output layer)."""
import numpy as np
import keras
from keras import layers

keras.mixed_precision.set_global_policy("mixed_float16")
encoder = keras.Sequential([keras.Input(shape=(32,)), layers.Dense(64, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(32,), name="features")
probs = layers.Dense(10, activation="softmax", name="probs")(encoder(x_in))
model = keras.Model(x_in, probs, name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 32), np.random.randint(0, 10, size=(8,)), epochs=1, batch_size=8, verbose=0)
keras.mixed_precision.set_global_policy("float32")  # restores the default for whatever runs next in this process
