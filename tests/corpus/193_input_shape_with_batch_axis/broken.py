"""A digit CNN declares its Input with the batch axis, keras.Input(shape=(None, 28, 28, 1)), as the data's shape
(8, 28, 28, 1) reads; Keras adds a batch axis of its own, so Conv2D gets 5-D input."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 28, 28, 1).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 10, 8), 10)
cnn = keras.Sequential([
    keras.Input(shape=(None, 28, 28, 1), name="digits"),
    layers.Conv2D(8, 3, activation="relu", name="conv"),
    layers.GlobalAveragePooling2D(name="pool"),
], name="cnn")
inp = keras.Input(shape=(28, 28, 1), name="image")
model = keras.Model(inp, layers.Dense(10, activation="softmax", name="digit")(cnn(inp)), name="reader")
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
