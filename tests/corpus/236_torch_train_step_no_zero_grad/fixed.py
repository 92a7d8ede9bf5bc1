"""Fixed: the stored gradients are cleared with self.zero_grad() before the backward pass of each step."""
import numpy as np
import keras
import torch
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
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = list(self.trainable_weights)
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        return {"loss": loss}


model = Regressor(name="regressor")
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=2, batch_size=4, verbose=0)
