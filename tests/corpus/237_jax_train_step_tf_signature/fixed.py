"""Fixed: train_step has JAX's stateless signature train_step(self, state, data): it computes the loss and gradients
with jax.value_and_grad over stateless_call, applies them with optimizer.stateless_apply, and returns (logs, state)."""
import jax
import numpy as np
import keras
from keras import layers, ops

x = np.random.rand(8, 6).astype("float32")
y = np.random.rand(8, 1).astype("float32")


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(5, activation="relu", name="hidden")], name="encoder")
        self.head = layers.Dense(1, name="head")

    def call(self, inputs):
        return self.head(self.encoder(inputs))

    def loss_and_updates(self, trainable_variables, non_trainable_variables, x, y):
        y_pred, non_trainable_variables = self.stateless_call(trainable_variables, non_trainable_variables, x)
        loss = ops.mean(keras.losses.mean_squared_error(y, y_pred))
        return loss, non_trainable_variables

    def train_step(self, state, data):
        trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
        x, y = data
        grad_fn = jax.value_and_grad(self.loss_and_updates, has_aux=True)
        (loss, non_trainable_variables), gradients = grad_fn(trainable_variables, non_trainable_variables, x, y)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(optimizer_variables, gradients,
                                                                                  trainable_variables)
        return {"loss": loss}, (trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables)


model = Regressor(name="regressor")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
