"""(silent) The nested backbone is called with training=True while building the model: its Dropout stays on at predict."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(16, activation="relu", name="hidden"),
                             layers.Dropout(0.5, name="drop")], name="backbone")
x = keras.Input(shape=(12,), name="x")
model = keras.Model(x, layers.Dense(1, name="out")(backbone(x, training=True)), name="regressor")
model.compile(optimizer="adam", loss="mse")
data = np.random.rand(8, 12)
model.fit(data, np.random.rand(8, 1), epochs=1, batch_size=8, verbose=0)
first, second = model.predict(data, verbose=0), model.predict(data, verbose=0)
