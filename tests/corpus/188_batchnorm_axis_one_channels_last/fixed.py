"""Fixed: the BatchNormalization normalises the channels-last feature maps, axis=-1."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 40, 50, 1).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, size=(8,)), 3)
cnn = keras.Sequential([
    keras.Input(shape=(40, 50, 1)),
    layers.Conv2D(8, 3, activation="relu", name="conv"),
    layers.BatchNormalization(axis=-1, name="bn"),
    layers.GlobalAveragePooling2D(name="gap"),
], name="cnn")
inp = keras.Input(shape=(40, 50, 1), name="logmel")
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="scene")(cnn(inp)), name="classifier")
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
