# After keras-team/keras#21046 (a subclassed model with constructor arguments, saved inside another model,
# cannot be loaded: no get_config).
import keras
import numpy as np
from keras import layers as L


@keras.saving.register_keras_serializable()
class ResidualMLP(keras.Model):
    def __init__(self, width, depth, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.blocks = [L.Dense(width, activation="relu") for _ in range(depth)]

    def call(self, x):
        for block in self.blocks:
            x = x + block(x)
        return x


inp = keras.Input((16,))
h = L.Dense(16)(inp)
h = ResidualMLP(16, 2, name="body")(h)
model = keras.Model(inp, L.Dense(1)(h), name="regressor")
model.compile("adam", "mse")
model.fit(np.random.rand(32, 16), np.random.rand(32, 1), verbose=0)
model.save("/tmp/probe11_p05.keras")
restored = keras.models.load_model("/tmp/probe11_p05.keras")
print(restored.predict(np.random.rand(2, 16), verbose=0))
