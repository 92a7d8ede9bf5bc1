"""Fixed: the bias is given too, set_weights([components, np.zeros((4,))])."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")
centered = x - x.mean(axis=0)
components = np.linalg.svd(centered, full_matrices=False)[2][:4].T.astype("float32")  # (6, 4)

encoder = keras.Sequential([keras.Input(shape=(6,)), layers.Dense(4, name="proj")], name="encoder")
features = keras.Input(shape=(6,), name="features")
model = keras.Model(features, layers.Dense(1, name="out")(encoder(features)), name="regressor")
model.get_layer("encoder").get_layer("proj").set_weights([components, np.zeros((4,))])
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
