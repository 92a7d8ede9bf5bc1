# After keras-team/keras#6405 and keras-team/keras#9940 ("you always need to compile your model if you make any changes"): the backbone is
# unfrozen AFTER compile and fit, and fit is called again without compile(), so the change is not taken into
# account (Keras reads trainable at compile time).
import keras
import numpy as np
from keras import layers as L

inp = keras.Input((16, 16, 3))
h = L.Conv2D(8, 3, activation="relu")(inp)
h = L.BatchNormalization()(h)
base = keras.Model(inp, L.GlobalAveragePooling2D()(h), name="base")
base.trainable = False
img = keras.Input((16, 16, 3), name="img")
out = L.Dense(3, activation="softmax")(base(img, training=False))
model = keras.Model(img, out, name="tuned")
model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
X, y = np.random.rand(16, 16, 16, 3), np.random.randint(0, 3, (16,))
model.fit(X, y, epochs=1, verbose=0)
base.trainable = True
model.fit(X, y, epochs=1, verbose=0)
