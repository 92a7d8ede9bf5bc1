"""Fixed: the optimizer gets a float learning rate (the schedule's first rate), which ReduceLROnPlateau can lower."""
import numpy as np
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(12,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(12,), name="window")
model = keras.Model(x_in, layers.Dense(1, name="next_value")(encoder(x_in)), name="forecaster")
schedule = keras.optimizers.schedules.ExponentialDecay(0.001, decay_steps=100, decay_rate=0.9)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
x = np.random.rand(8, 12).astype("float32")
y = np.random.rand(8, 1).astype("float32")
plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=100.0)
model.fit(x, y, epochs=3, batch_size=4, callbacks=[plateau], verbose=0)
