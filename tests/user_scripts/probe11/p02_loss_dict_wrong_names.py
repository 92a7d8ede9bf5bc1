# After tensorflow/tensorflow#55435 and keras-team/keras#16405: the loss dict's keys are the names the
# user gave in their head, not the model's output names.
import keras
import numpy as np
from keras import layers as L

trunk_in = keras.Input((20,))
trunk = keras.Model(trunk_in, L.Dense(32, activation="relu")(trunk_in), name="trunk")
x = keras.Input((20,), name="features")
z = trunk(x)
price = L.Dense(1, name="price_head")(z)
kind = L.Dense(4, activation="softmax", name="kind_head")(z)
model = keras.Model(x, [price, kind], name="shop")
model.compile("adam", loss={"price": "mse", "kind": "sparse_categorical_crossentropy"})
model.fit(np.random.rand(32, 20), [np.random.rand(32, 1), np.random.randint(0, 4, (32,))], verbose=0)
