"""Fixed: the forward pass runs inside the GradientTape, so the tape records it."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

encoder = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="hidden")], name="encoder")
x_in = keras.Input(shape=(10,), name="features")
scorer = keras.Model(x_in, layers.Dense(1, name="score")(encoder(x_in)), name="scorer")
optimizer = keras.optimizers.Adam(learning_rate=0.01)
x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
for step in range(2):
    with tf.GradientTape() as tape:
        preds = scorer(x, training=True)
        loss = keras.ops.mean((preds - y) ** 2)
    grads = tape.gradient(loss, scorer.trainable_variables)
    optimizer.apply_gradients(zip(grads, scorer.trainable_variables))
