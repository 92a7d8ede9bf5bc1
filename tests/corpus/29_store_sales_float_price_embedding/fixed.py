"""Store-sales regressor: the scaled price is bucketized by a Discretization layer before the price
Embedding (fixed)."""
import numpy as np
import keras
from keras import layers

stores = np.random.randint(0, 20, (8, 1))
prices = np.random.rand(8, 1).astype("float32")
y = np.random.rand(8, 1).astype("float32")

bucketize = layers.Discretization(num_bins=8, name="price_bucket")
bucketize.adapt(prices)
price_tower = keras.Sequential(
    [
        keras.Input(shape=(1,), name="price_scaled"),
        bucketize,
        layers.Embedding(8, 4, name="price_emb"),
        layers.Flatten(name="price_flat"),
    ],
    name="price_tower",
)

store = keras.Input(shape=(1,), dtype="int32", name="store")
price = keras.Input(shape=(1,), name="price")
s = layers.Flatten(name="store_flat")(layers.Embedding(20, 4, name="store_emb")(store))
h = layers.Concatenate(name="features")([s, price_tower(price)])
model = keras.Model([store, price], layers.Dense(1, name="sales")(h), name="sales_model")
model.compile(optimizer="adam", loss="mse")
model.fit([stores, prices], y, epochs=1, batch_size=len(y), verbose=0)

out = price_tower.predict(prices, verbose=0)
assert float(np.abs(out - out[0]).max()) > 0.0
