"""Fixed: loss="sparse_categorical_crossentropy", the name Keras knows."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 8, 8, 1).astype("float32")
y = np.random.randint(0, 10, (8,))
features = keras.Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(8, 3, activation="relu", name="conv"),
                             layers.GlobalAveragePooling2D(name="pool")], name="features")
digits = keras.Input(shape=(8, 8, 1), name="digits")
model = keras.Model(digits, layers.Dense(10, activation="softmax", name="classes")(features(digits)),
                    name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
