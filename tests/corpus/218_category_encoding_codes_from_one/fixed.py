"""Fixed: num_tokens covers the largest code (4), so every store gets its own one-hot column."""
import numpy as np
import keras
from keras import layers

codes = np.array([[1], [2], [3], [4], [4], [3], [2], [1]], dtype="int32")
sales = np.random.rand(8, 1).astype("float32")
store_features = keras.Sequential([keras.Input(shape=(1,), dtype="int32"),
                                   layers.CategoryEncoding(num_tokens=5, output_mode="one_hot", name="onehot"),
                                   layers.Dense(4, activation="relu", name="embed")], name="store_features")
store = keras.Input(shape=(1,), dtype="int32", name="store")
model = keras.Model(store, layers.Dense(1, name="sales")(store_features(store)), name="sales_model")
model.compile(optimizer="adam", loss="mse")
model.fit(codes, sales, epochs=1, batch_size=len(codes), verbose=0)
