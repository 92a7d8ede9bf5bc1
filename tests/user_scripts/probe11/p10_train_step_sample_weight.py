# After Jannoshh/simple-sam#6 and tensorflow/tensorflow#43902 ("too many values to unpack" in a custom train_step when the
# data carries sample weights); keras.io "Customizing what happens in fit()" unpacks with
# keras.utils.unpack_x_y_sample_weight.
import keras
import numpy as np
import tensorflow as tf
from keras import layers as L


class Trainer(keras.Model):
    def __init__(self, net, **kwargs):
        super().__init__(**kwargs)
        self.net = net

    def call(self, x):
        return self.net(x)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return {"loss": loss}


inp = keras.Input((6,))
net = keras.Model(inp, L.Dense(1)(L.Dense(8, activation="relu")(inp)), name="net")
model = Trainer(net, name="trainer")
model.compile("adam", "mse")
x = np.random.rand(20, 6).astype("float32")
y = np.random.rand(20, 1).astype("float32")
model.fit(x, y, sample_weight=np.ones(20, "float32"), verbose=0)
