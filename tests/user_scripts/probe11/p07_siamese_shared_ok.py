# CORRECT model (false-alarm check). Siamese network as in the keras.io siamese contrastive example:
# one shared embedding model called on both images, distance, contrastive-style head.
import keras
import numpy as np
from keras import layers as L

img = keras.Input((16, 16, 1))
h = L.Conv2D(4, 3, activation="relu")(img)
h = L.GlobalAveragePooling2D()(h)
embed = keras.Model(img, L.Dense(8)(h), name="embed")

left = keras.Input((16, 16, 1), name="left")
right = keras.Input((16, 16, 1), name="right")
dist = L.Lambda(lambda t: keras.ops.sqrt(keras.ops.sum(keras.ops.square(t[0] - t[1]), axis=1, keepdims=True) + 1e-7),
                output_shape=(1,))([embed(left), embed(right)])
model = keras.Model([left, right], L.Dense(1, activation="sigmoid")(dist), name="siamese")
model.compile("adam", "binary_crossentropy")
x1 = np.random.rand(8, 16, 16, 1).astype("float32")
x2 = np.random.rand(8, 16, 16, 1).astype("float32")
model.fit([x1, x2], np.random.randint(0, 2, (8, 1)).astype("float32"), verbose=0)
print(model.predict([x1[:2], x2[:2]], verbose=0).shape)
