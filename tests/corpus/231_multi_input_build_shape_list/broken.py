"""A recommender joins two nested towers with a custom ContextGate layer called on [user_vec, context_vec]; its
build() sizes the kernel with input_shape[-1], but for a list of inputs input_shape is a list of shapes, so
input_shape[-1] is the context's whole shape and add_weight cannot make a shape of it."""
import numpy as np
import keras
from keras import layers, ops


class ContextGate(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                      name="kernel")

    def call(self, inputs):
        user, context = inputs
        return ops.matmul(user, self.kernel) * ops.mean(context, axis=-1, keepdims=True)


users = np.random.rand(8, 5).astype("float32")
contexts = np.random.rand(8, 3).astype("float32")
y = np.random.rand(8, 1).astype("float32")
user_in = keras.Input(shape=(5,), name="user")
context_in = keras.Input(shape=(3,), name="context")
user_tower = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(6, name="user_dense")], name="user_tower")
context_tower = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(2, name="context_dense")], name="context_tower")
gated = ContextGate(4, name="gate")([user_tower(user_in), context_tower(context_in)])
model = keras.Model([user_in, context_in], layers.Dense(1, name="score")(gated), name="recommender")
model.compile(optimizer="adam", loss="mse")
model.fit([users, contexts], y, epochs=1, batch_size=len(y), verbose=0)
