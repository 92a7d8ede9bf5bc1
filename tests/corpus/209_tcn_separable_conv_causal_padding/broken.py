"""A forecaster's nested temporal block uses SeparableConv1D(16, 3, dilation_rate=2, padding="causal"); Keras 3
supports causal padding on Conv1D only, not on SeparableConv1D."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 24, 4).astype("float32")
y = np.random.rand(8, 1).astype("float32")
tcn = keras.Sequential([keras.Input(shape=(24, 4)),
                        layers.SeparableConv1D(16, 3, dilation_rate=2, padding="causal", activation="relu",
                                               name="sep1")], name="tcn")
series = keras.Input(shape=(24, 4), name="series")
h = layers.GlobalAveragePooling1D(name="pool")(tcn(series))
model = keras.Model(series, layers.Dense(1, name="next")(h), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
