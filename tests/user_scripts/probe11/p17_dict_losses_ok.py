# CORRECT model (false-alarm check). Dict outputs keyed by name, loss/metrics dicts with the same keys, a
# tf.data pipeline whose labels are a dict (tensorflow/tensorflow#72679, the fixed version).
import keras
import numpy as np
import tensorflow as tf
from keras import layers as L

inp = keras.Input((6,), name="sensor")
body = keras.Model(inp, L.Dense(12, activation="relu")(inp), name="body")
x = keras.Input((6,), name="sensor")
z = body(x)
model = keras.Model(x, {"temp": L.Dense(1, name="temp")(z), "alarm": L.Dense(1, activation="sigmoid", name="alarm")(z)},
                    name="plant")
model.compile("adam", loss={"temp": "mse", "alarm": "binary_crossentropy"}, metrics={"alarm": ["accuracy"]})
ds = tf.data.Dataset.from_tensor_slices(
    (np.random.rand(32, 6).astype("float32"),
     {"temp": np.random.rand(32, 1).astype("float32"), "alarm": np.random.randint(0, 2, (32, 1)).astype("float32")}))
model.fit(ds.batch(8), epochs=1, verbose=0)
