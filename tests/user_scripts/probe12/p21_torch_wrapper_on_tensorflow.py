# After keras-team/keras#20432 and keras-team/keras#20000 (TorchModuleWrapper run on another backend): keras.layers.TorchModuleWrapper around a torch.nn block inside a
# functional model, run with the TensorFlow backend (the default) - it only works on the PyTorch backend.
import keras
import numpy as np
import torch
from keras import layers as L

feats = keras.Input((12,), name="feats")
proj = L.TorchModuleWrapper(torch.nn.Sequential(torch.nn.Linear(12, 8), torch.nn.ReLU()), name="torch_proj")(feats)
out = L.Dense(1, activation="sigmoid")(proj)
model = keras.Model(feats, out, name="hybrid")
model.compile("adam", "binary_crossentropy")
model.fit(np.random.rand(16, 12).astype("float32"), np.random.randint(0, 2, (16, 1)), verbose=0)
