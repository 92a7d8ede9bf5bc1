"""Fixed: the loss is told that the head outputs logits, and the accuracy thresholds them at 0."""
import numpy as np
import keras
from keras import layers

base = keras.Sequential(
    [keras.Input(shape=(16, 16, 3)), layers.Conv2D(8, 3, activation="relu", name="conv"), layers.GlobalAveragePooling2D(name="gap")],
    name="base",
)
base.trainable = False
img = keras.Input(shape=(16, 16, 3), name="img")
logit = layers.Dense(1, name="logit")(base(img, training=False))
model = keras.Model(img, logit, name="cats_dogs")
model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
model.fit(np.random.rand(8, 16, 16, 3).astype("float32"), np.random.randint(0, 2, size=(8, 1)), epochs=1, batch_size=8, verbose=0)
