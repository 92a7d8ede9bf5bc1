"""(silent) EarlyStopping watches 'val_accuracy' on a two-output model; Keras logs the accuracy per output, so it never stops."""
import numpy as np
import keras
from keras import layers

trunk = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(16, activation="relu", name="shared")], name="trunk")
x_in = keras.Input(shape=(10,), name="x_in")
feat = trunk(x_in)
species = layers.Dense(3, activation="softmax", name="species")(feat)
size = layers.Dense(1, name="size")(feat)
model = keras.Model(x_in, {"species": species, "size": size}, name="fish")
model.compile(optimizer="adam", loss={"species": "sparse_categorical_crossentropy", "size": "mse"},
              metrics={"species": "accuracy"})
x = np.random.rand(16, 10).astype("float32")
y = {"species": np.random.randint(0, 3, size=(16,)), "size": np.random.rand(16, 1).astype("float32")}
stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=1, mode="max")
model.fit(x, y, validation_split=0.25, epochs=2, batch_size=4, callbacks=[stop], verbose=0)
