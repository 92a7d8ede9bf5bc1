"""(silent, TensorFlow) A custom tf.GradientTape loop for a tagger on a nested text encoder (Dropout and
BatchNormalization inside) computes its loss in a helper, compute_loss(net, batch, target), which calls net(batch)
without training=True: the encoder runs in inference mode while it trains."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

tokens = np.random.rand(16, 12).astype("float32")
targets = np.random.randint(0, 4, size=(16,))
encoder = keras.Sequential([keras.Input((12,)), layers.Dense(16, name="mix"), layers.BatchNormalization(name="bn"),
                            layers.Dropout(0.2, name="drop")], name="encoder")
text = keras.Input((12,), name="text")
tagger = keras.Model(text, layers.Dense(4, activation="softmax", name="tag")(encoder(text)), name="tagger")
opt = keras.optimizers.SGD(0.01)
xent = keras.losses.SparseCategoricalCrossentropy()


def compute_loss(net, batch, target):
    probs = net(batch)
    return xent(target, probs)


for epoch in range(2):
    with tf.GradientTape() as tape:
        loss = compute_loss(tagger, tokens, targets)
    grads = tape.gradient(loss, tagger.trainable_variables)
    opt.apply_gradients(zip(grads, tagger.trainable_variables))
