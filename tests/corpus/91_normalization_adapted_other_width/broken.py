"""A Normalization layer adapted on the raw table (9 columns) is put after a nested feature selector that outputs 6 columns."""
import numpy as np
import keras
from keras import layers

table = np.random.rand(8, 9).astype("float32")
norm = layers.Normalization(name="norm")
norm.adapt(table)

c = keras.Input(shape=(9,), name="c")
selector = keras.Model(c, layers.Dense(6, name="select")(c), name="selector")

row = keras.Input(shape=(9,), name="row")
out = layers.Dense(1, activation="sigmoid", name="churn")(norm(selector(row)))
model = keras.Model(row, out, name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")

y = np.random.randint(0, 2, size=(8, 1))
model.fit(table, y, epochs=1, batch_size=8, verbose=0)
