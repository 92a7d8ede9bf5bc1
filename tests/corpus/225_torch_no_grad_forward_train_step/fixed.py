"""Fixed: the forward pass runs with gradients on; only the optimizer update stays under torch.no_grad()."""
import numpy as np
import keras
import torch
from keras import layers

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Trainer(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(8, activation="relu", name="hidden")], name="encoder")
        self.head = layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.encoder(inputs))

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        loss.backward()
        grads = [v.value.grad for v in self.trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(grads, self.trainable_weights)
        return {"loss": loss}


model = Trainer(name="trainer")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
