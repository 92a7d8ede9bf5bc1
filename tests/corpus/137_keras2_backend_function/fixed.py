"""Fixed: the nested encoder, which the model applies to its input, predicts the codes itself."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(4, activation="relu", name="code")], name="encoder")
features = keras.Input(shape=(10,), name="features")
model = keras.Model(features, layers.Dense(1, name="score")(encoder(features)), name="scorer")
model.compile(optimizer="adam", loss="mse")
x = np.random.rand(8, 10).astype("float32")
model.fit(x, np.random.rand(8, 1).astype("float32"), epochs=1, batch_size=8, verbose=0)

codes = model.get_layer("encoder").predict(x, verbose=0)
print(codes.shape)
