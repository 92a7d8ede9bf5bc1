"""Transfer: weights of a pretrained encoder (hidden Dense(8)) are copied with set_weights into a new model's nested encoder built with Dense(6)."""
import numpy as np
import keras
from keras import layers

pretrained = keras.Sequential(
    [keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden"), layers.Dense(4, name="code")],
    name="pretrained",
)

features = keras.Input(shape=(10,), name="features")
encoder = keras.Sequential(
    [keras.Input(shape=(10,)), layers.Dense(6, activation="relu", name="hidden"), layers.Dense(4, name="code")],
    name="encoder",
)
out = layers.Dense(1, activation="sigmoid", name="churn")(encoder(features))
model = keras.Model(features, out, name="churn_model")
encoder.set_weights(pretrained.get_weights())
model.compile(optimizer="adam", loss="binary_crossentropy")

x = np.random.rand(4, 10).astype("float32")
y = np.random.randint(0, 2, size=(4, 1)).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
