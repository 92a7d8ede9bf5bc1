"""Limit 1 (round 4): a hard-attention pooling layer picks one time step with argmax in a helper method its call()
calls; the attention scorer's weights never get a gradient (the encoder and the head still train)."""
import numpy as np
import keras
from keras import layers, ops


class HardAttentionPool(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.scorer = layers.Dense(1, name="att_score")

    def _select(self, h):
        s = ops.squeeze(self.scorer(h), axis=-1)  # (batch, steps)
        pick = ops.one_hot(ops.argmax(s, axis=-1), h.shape[1])  # (batch, steps)
        return ops.sum(h * pick[:, :, None], axis=1)

    def call(self, h):
        return self._select(h)


i = keras.Input((6, 8), name="frames")
h = layers.Dense(16, activation="relu", name="frame_proj")(i)
encoder = keras.Model(i, HardAttentionPool(name="pool")(h), name="clip_encoder")
j = keras.Input((6, 8), name="clip")
model = keras.Model(j, layers.Dense(3, activation="softmax", name="label")(encoder(j)), name="clip_classifier")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(24, 6, 8), np.random.randint(0, 3, 24), epochs=1, verbose=0)
