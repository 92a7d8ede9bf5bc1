"""A house-price regressor (a nested feature encoder) evaluated by hand: the test set is a PyTorch DataLoader made
with shuffle=True (copied from the training loader), given to predict, and the predictions are compared with the
prices as stored."""
import numpy as np
import keras
import torch
from keras import layers
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(1)
x_train, y_train = rng.random((200, 12), dtype="float32"), rng.random((200, 1), dtype="float32")
x_test, y_test = rng.random((64, 12), dtype="float32"), rng.random((64, 1), dtype="float32")
train_loader = DataLoader(TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)), batch_size=32,
                          shuffle=True)
test_loader = DataLoader(TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test)), batch_size=32,
                         shuffle=True)

house = keras.Input((12,), name="house")
encoder = keras.Model(house, layers.Dense(16, activation="relu", name="mix")(house), name="encoder")
listing = keras.Input((12,), name="listing")
regressor = keras.Model(listing, layers.Dense(1, name="price")(encoder(listing)), name="regressor")
regressor.compile(optimizer="adam", loss="mse")
regressor.fit(train_loader, epochs=2, verbose=0)

predicted = regressor.predict(test_loader, verbose=0)
print("mean absolute error", float(np.mean(np.abs(predicted - y_test))))
