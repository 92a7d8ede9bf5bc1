"""Fixed: the causal padding is made by hand, ZeroPadding1D((4, 0)) (dilation 2 x (kernel 3 - 1) steps on the left),
then the SeparableConv1D runs with padding="valid": same length, no step sees the future."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 24, 4).astype("float32")
y = np.random.rand(8, 1).astype("float32")
tcn = keras.Sequential([keras.Input(shape=(24, 4)),
                        layers.ZeroPadding1D((4, 0), name="causal_pad"),
                        layers.SeparableConv1D(16, 3, dilation_rate=2, padding="valid", activation="relu",
                                               name="sep1")], name="tcn")
series = keras.Input(shape=(24, 4), name="series")
h = layers.GlobalAveragePooling1D(name="pool")(tcn(series))
model = keras.Model(series, layers.Dense(1, name="next")(h), name="forecaster")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
