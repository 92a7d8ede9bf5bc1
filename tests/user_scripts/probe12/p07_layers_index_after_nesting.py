# After tensorflow/tensorflow#56459 and keras-team/keras#16355: after wrapping the trunk in its own model,
# model.layers[i] no longer points at the layer the user meant; layers[1] is the nested trunk and its .output
# belongs to the trunk's own graph, which the user combines with the outer input to read hidden activations.
import keras
import numpy as np
from keras import layers as L

trunk = keras.Sequential([keras.Input((12,)), L.Dense(32, activation="relu"), L.Dense(16, activation="relu")],
                         name="trunk")
x = keras.Input((12,), name="x")
y = L.Dense(3, activation="softmax", name="cls")(trunk(x))
model = keras.Model(x, y, name="net")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(16, 12), np.random.randint(0, 3, (16,)), verbose=0)
probe = keras.Model(model.inputs, model.layers[1].layers[0].output)
print(probe.predict(np.random.rand(2, 12), verbose=0).shape)
