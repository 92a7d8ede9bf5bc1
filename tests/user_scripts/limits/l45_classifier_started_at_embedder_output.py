"""A digit classifier meant to run a pretrained CNN embedder and a new head, built as
keras.Model(embedder.output, head): Keras 3 starts it at a new Input shaped like the embedder's OUTPUT (32 values),
so fitting it on the images fails with a shape error that names no embedder."""
import numpy as np
import keras
from keras import layers

pixels = keras.Input((28, 28, 1), name="pixels")
h = layers.Conv2D(16, 3, activation="relu", name="conv")(pixels)
h = layers.GlobalAveragePooling2D(name="pool")(h)
embedder = keras.Model(pixels, layers.Dense(32, activation="relu", name="embed")(h), name="embedder")

logits = layers.Dense(10, activation="softmax", name="digit")(embedder.output)
classifier = keras.Model(inputs=embedder.output, outputs=logits, name="classifier")
classifier.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

images = np.random.rand(48, 28, 28, 1).astype("float32")
digits = np.random.randint(0, 10, size=(48,))
classifier.fit(images, digits, epochs=1, batch_size=16, verbose=0)
