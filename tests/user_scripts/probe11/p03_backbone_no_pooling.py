# After https://stackoverflow.com/questions/46036522 (include_top=False leaves a 4-D feature map;
# without pooling= or a global pooling layer the Dense head is applied per position).
import keras
import numpy as np
from keras import layers as L

base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None)
base.trainable = False
img = keras.Input((32, 32, 3))
feat = base(img, training=False)
out = L.Dense(5, activation="softmax")(feat)
model = keras.Model(img, out, name="flowers")
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(8, 32, 32, 3), np.random.randint(0, 5, (8,)), epochs=1, verbose=0)
