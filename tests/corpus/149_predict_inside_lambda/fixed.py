"""Fixed: the nested encoder is called on the symbolic tensor, as a layer of the model."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(8, activation="relu", name="code")], name="encoder")
rows = keras.Input(shape=(20,), name="rows")
codes = encoder(rows)
model = keras.Model(rows, layers.Dense(1, activation="sigmoid", name="churn")(codes), name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(np.random.rand(8, 20).astype("float32"), np.random.randint(0, 2, size=(8, 1)).astype("float32"), epochs=1, batch_size=8, verbose=0)
