"""(silent) Transfer learning with a custom tf.GradientTape loop: the classifier on a nested backbone (with
BatchNormalization and Dropout) is called as classifier(images) inside the tape, without training=True. Keras then
runs the backbone in inference mode: BatchNormalization normalizes with its initial moving statistics and never
updates them, and Dropout is off, so the loop trains another network than fit would."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

images = np.random.rand(8, 10).astype("float32")
labels = np.random.randint(0, 2, size=(8, 1)).astype("float32")
backbone = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(6, name="proj"),
                             layers.BatchNormalization(name="norm"), layers.Dropout(0.3, name="drop")], name="backbone")
pixels = keras.Input(shape=(10,), name="pixels")
classifier = keras.Model(pixels, layers.Dense(1, activation="sigmoid", name="prob")(backbone(pixels)),
                         name="classifier")
optimizer = keras.optimizers.Adam(1e-3)
loss_fn = keras.losses.BinaryCrossentropy()

for step in range(2):
    with tf.GradientTape() as tape:
        preds = classifier(images)
        loss = loss_fn(labels, preds)
    grads = tape.gradient(loss, classifier.trainable_variables)
    optimizer.apply_gradients(zip(grads, classifier.trainable_variables))
