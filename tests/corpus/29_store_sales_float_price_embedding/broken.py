"""Store-sales regressor: a min-max scaled price (floats in [0, 1)) goes straight into an Embedding inside the
price tower. Embedding casts it to int, so every price becomes id 0 and the tower ignores the price."""
import numpy as np
import keras
from keras import layers

price_tower = keras.Sequential(
    [
        keras.Input(shape=(1,), name="price_scaled"),
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

stores = np.random.randint(0, 20, (8, 1))
prices = np.random.rand(8, 1).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit([stores, prices], y, epochs=1, batch_size=len(y), verbose=0)

# Verified: the price tower returns the same vector for every price (max abs difference 0.0 between rows).
out = price_tower.predict(prices, verbose=0)
print("price tower spread:", float(np.abs(out - out[0]).max()))
