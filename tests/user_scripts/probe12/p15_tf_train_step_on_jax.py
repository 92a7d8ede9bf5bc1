# After keras-team/keras-io#1612 (a tf.GradientTape train_step "should stay tf only") and keras-team/keras#18881: a train_step written the
# TensorFlow way (tf.GradientTape, self.optimizer.apply_gradients) in a subclassed model wrapping a functional
# network. It runs on TensorFlow; on JAX, Keras calls train_step(state, data).
import keras
import numpy as np
import tensorflow as tf
from keras import layers as L


class Distiller(keras.Model):
    def __init__(self, student, **kwargs):
        super().__init__(**kwargs)
        self.student = student

    def call(self, x):
        return self.student(x)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


inp = keras.Input((8,))
student = keras.Model(inp, L.Dense(3)(L.Dense(16, activation="relu")(inp)), name="student")
model = Distiller(student, name="distiller")
model.compile("adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(np.random.rand(32, 8).astype("float32"), np.random.randint(0, 3, (32,)), epochs=1, verbose=0)
