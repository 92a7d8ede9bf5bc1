"""(PyTorch) A nested projection head wraps a torch.nn.Linear in keras.layers.TorchModuleWrapper, written for 16
input features, but the encoder before it gives 32: torch fails on the matrix product inside the wrapper."""
import numpy as np
import keras
import torch
from keras import layers

feats = keras.Input((10,), name="feats")
encoder = keras.Model(feats, layers.Dense(32, activation="relu", name="enc")(feats), name="encoder")
head = keras.Sequential([keras.Input((32,)), layers.TorchModuleWrapper(torch.nn.Linear(16, 4), name="proj")],
                        name="head")
x_in = keras.Input((10,), name="x")
model = keras.Model(x_in, head(encoder(x_in)), name="model")
model.compile(optimizer="adam", loss="mse")
model.fit(np.random.rand(16, 10).astype("float32"), np.random.rand(16, 4).astype("float32"), epochs=1, verbose=0)
