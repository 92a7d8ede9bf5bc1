"""Fixed: the flag is passed by keyword, training=False."""
import numpy as np
import keras
from keras import layers

img = keras.Input(shape=(32, 32, 3), name="img")
backbone = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(8, 3, name="conv"),
                             layers.BatchNormalization(name="bn"), layers.GlobalAveragePooling2D(name="gap")], name="backbone")
x = backbone(img, training=False)
out = layers.Dense(3, activation="softmax", name="probs")(x)
model = keras.Model(img, out, name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 32, 32, 3), np.random.randint(0, 3, (8,)), epochs=1, batch_size=8, verbose=0)
