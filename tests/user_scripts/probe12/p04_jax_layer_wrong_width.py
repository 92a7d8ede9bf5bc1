# After keras-team/keras#19342 and #21842 (JaxLayer, then JaxLayer on TensorFlow through jax2tf): a pure-JAX MLP wrapped in keras.layers.JaxLayer
# inside a functional model; the user's init_fn makes the first kernel for 16 features, the encoder gives 24.
import jax
import keras
import numpy as np
from keras import layers as L


def init_fn(rng, inputs):
    k1, k2 = jax.random.split(rng)
    return {"w1": jax.random.normal(k1, (16, 32)) * 0.1, "w2": jax.random.normal(k2, (32, 3)) * 0.1}


def call_fn(params, inputs):
    h = jax.nn.relu(inputs @ params["w1"])
    return h @ params["w2"]


feats = keras.Input((10,), name="feats")
enc = keras.Sequential([L.Dense(24, activation="relu")], name="encoder")(feats)
logits = L.JaxLayer(call_fn, init_fn=init_fn, name="jax_mlp")(enc)
model = keras.Model(feats, L.Softmax()(logits), name="jax_head")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(16, 10).astype("float32"), np.random.randint(0, 3, (16,)), verbose=0)
