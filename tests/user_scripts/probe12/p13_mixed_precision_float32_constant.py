# After tensorflow/tensorflow#38850 and tensorflow/addons#2269 ("cannot compute AddV2 as input #1 was expected to be
# a half tensor but is a float tensor"): under mixed_float16, a custom layer in a nested block adds a float32
# tensor it made itself to its float16 input.
import keras
import numpy as np
from keras import layers as L

keras.mixed_precision.set_global_policy("mixed_float16")


class AddPositions(L.Layer):
    def call(self, x):
        steps = keras.ops.shape(x)[1]
        pos = keras.ops.arange(steps, dtype="float32")[None, :, None] / 100.0
        return x + pos


seq = keras.Input((20, 8))
block = keras.Model(seq, L.Dense(8)(AddPositions(name="positions")(L.Dense(8)(seq))), name="block")
signal = keras.Input((20, 8), name="signal")
h = L.GlobalAveragePooling1D()(block(signal))
out = L.Dense(4, activation="softmax", dtype="float32", name="probs")(h)
model = keras.Model(signal, out, name="sensor")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(16, 20, 8), np.random.randint(0, 4, (16,)), epochs=1, verbose=0)
