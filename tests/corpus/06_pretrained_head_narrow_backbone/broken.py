"""Transfer learning: a classifier head built for a 64-wide backbone is put on a lighter 32-wide backbone."""
import numpy as np
import keras
from keras import layers

# head as it was built for the old backbone (64 pooled features)
features = keras.Input(shape=(64,), name="pooled")
hidden = layers.Dense(32, activation="relu", name="fc1")(features)
logits = layers.Dense(10, activation="softmax", name="probs")(hidden)
classifier_head = keras.Model(features, logits, name="classifier_head")

# the new, lighter backbone ends with 32 channels
backbone = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3), name="rgb"),
        layers.Conv2D(16, 3, strides=2, activation="relu", name="stem"),
        layers.Conv2D(32, 3, strides=2, activation="relu", name="block1"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)

image = keras.Input(shape=(32, 32, 3), name="image")
model = keras.Model(image, classifier_head(backbone(image)), name="classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 32, 32, 3).astype("float32")
y = np.random.randint(0, 10, size=(8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
