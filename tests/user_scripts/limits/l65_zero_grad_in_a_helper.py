"""(correct, PyTorch) A subclassed forecaster on a nested encoder overrides train_step for PyTorch and clears the
stored gradients in a helper method of its own (self._reset_grads(), which calls self.zero_grad()) before the
backward pass: nothing is wrong, and --strict must stay quiet."""
import numpy as np
import keras
import torch
from keras import layers


class Forecaster(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(8, activation="relu", name="hidden")], name="encoder")
        self.out = layers.Dense(1, name="next_value")

    def call(self, inputs):
        return self.out(self.encoder(inputs))

    def _reset_grads(self):
        self.zero_grad()

    def train_step(self, data):
        x, y = data
        self._reset_grads()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss.backward()
        weights = list(self.trainable_weights)
        with torch.no_grad():
            self.optimizer.apply([w.value.grad for w in weights], weights)
        return {"loss": loss}


model = Forecaster(name="forecaster")
model.compile(optimizer="sgd", loss="mse")
model.fit(np.random.rand(16, 5).astype("float32"), np.random.rand(16, 1).astype("float32"), epochs=2, batch_size=8,
          verbose=0)
