"""A subclassed Regressor with a nested encoder keeps the custom train_step(self, data) of the TensorFlow guide
(tf.GradientTape, optimizer.apply_gradients) after switching to the JAX backend; JAX's fit runs steps statelessly and
calls train_step(state, data), so fit fails: train_step() takes 2 positional arguments but 3 were given."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(5, activation="relu", name="hidden")], name="encoder")
        self.head = layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.encoder(inputs))

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        return {"loss": loss}


model = Regressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
