"""Fixed: optimizer.scale_loss(loss); apply_gradients unscales the gradients itself."""
import numpy as np
import keras
import tensorflow as tf
from keras import layers

keras.mixed_precision.set_global_policy("mixed_float16")
x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 1).astype("float32")
encoder = keras.Sequential([keras.Input(shape=(10,)),
                            layers.Dense(16, activation="relu", name="hidden")], name="encoder")
features = keras.Input(shape=(10,), name="features")
model = keras.Model(features, layers.Dense(1, dtype="float32", name="score")(encoder(features)), name="scorer")
optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam())
loss_fn = keras.losses.MeanSquaredError()
with tf.GradientTape() as tape:
    loss = loss_fn(y, model(x, training=True))
    scaled_loss = optimizer.scale_loss(loss)
grads = tape.gradient(scaled_loss, model.trainable_variables)
optimizer.apply_gradients(zip(grads, model.trainable_variables))
