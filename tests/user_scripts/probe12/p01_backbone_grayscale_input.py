# After tensorflow/tensorflow#44608-style transfer learning threads and keras-team/keras#16355: a keras.applications
# backbone built for 3-channel images (input_shape=(64, 64, 3)) is called on a 1-channel X-ray Input.
import keras
import numpy as np
from keras import layers as L

base = keras.applications.ResNet50(include_top=False, weights=None, input_shape=(64, 64, 3), pooling="avg")
base.trainable = False
scan = keras.Input((64, 64, 1), name="scan")
feat = base(scan, training=False)
out = L.Dense(2, activation="softmax")(feat)
model = keras.Model(scan, out, name="xray")
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(8, 64, 64, 1), np.random.randint(0, 2, (8,)), epochs=1, verbose=0)
