# After keras-team/keras#16355 and the keras.io transfer-learning guide: the backbone is made with pooling="avg"
# (it already returns (batch, channels)) and the user adds GlobalAveragePooling2D after it, as the guide does for
# pooling=None.
import keras
import numpy as np
from keras import layers as L

backbone = keras.applications.EfficientNetB0(include_top=False, weights=None, input_shape=(64, 64, 3), pooling="avg")
backbone.trainable = False
photo = keras.Input((64, 64, 3), name="photo")
x = backbone(photo, training=False)
x = L.GlobalAveragePooling2D(name="gap")(x)
x = L.Dropout(0.2)(x)
out = L.Dense(4, activation="softmax", name="species")(x)
model = keras.Model(photo, out, name="birds")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 64, 64, 3), np.random.randint(0, 4, (8,)), epochs=1, verbose=0)
