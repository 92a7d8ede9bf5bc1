"""Limit 1 (round 3): a subclassed hashing model binarises its codes with ops.sign in call(); the encoder before
the sign never learns, only the decoder after it."""
import numpy as np
import keras
from keras import layers, ops


class BinaryHasher(keras.Model):
    def __init__(self, bits=16, **kw):
        super().__init__(**kw)
        self.encoder = layers.Dense(bits, activation="tanh", name="encoder")
        self.decoder = layers.Dense(10, activation="softmax", name="decoder")

    def call(self, inputs):
        codes = self.encoder(inputs)
        binary = ops.sign(codes)
        return self.decoder(binary)


model = BinaryHasher(name="hasher")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(64, 20).astype("float32"), np.random.randint(0, 10, 64), epochs=1, verbose=0)
