"""(silent) An acoustic-scene CNN nested in a classifier takes channels-last log-mel maps (batch, 40, 50, 1) but its
BatchNormalization is given axis=1, the channels-first setting: it normalises each of the 38 mel rows instead of
the 8 feature maps."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 40, 50, 1).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 3, size=(8,)), 3)
cnn = keras.Sequential([
    keras.Input(shape=(40, 50, 1)),
    layers.Conv2D(8, 3, activation="relu", name="conv"),
    layers.BatchNormalization(axis=1, name="bn"),
    layers.GlobalAveragePooling2D(name="gap"),
], name="cnn")
inp = keras.Input(shape=(40, 50, 1), name="logmel")
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="scene")(cnn(inp)), name="classifier")
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
