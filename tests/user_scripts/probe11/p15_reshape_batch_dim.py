# After the Keras 3 Reshape docs (https://keras.org.cn/api/layers/reshaping_layers/reshape; reshape with x.shape[0], the batch size, which is
# None while the functional model is built).
import keras
import numpy as np
from keras import layers as L


class Patches(L.Layer):
    def call(self, x):
        return keras.ops.reshape(x, (x.shape[0], -1, 4 * x.shape[-1]))


img = keras.Input((8, 8, 2))
h = Patches(name="patches")(L.Conv2D(2, 1)(img))
patcher = keras.Model(img, h, name="patcher")
x = keras.Input((8, 8, 2))
out = L.Dense(1)(L.GlobalAveragePooling1D()(patcher(x)))
model = keras.Model(x, out, name="vitish")
model.compile("adam", "mse")
model.fit(np.random.rand(4, 8, 8, 2), np.random.rand(4, 1), verbose=0)
