# After tensorflow/tensorflow#34977 and tensorflow/tensorflow#45437: a feature extractor built from
# model.get_layer("backbone").get_layer(...).output, a tensor of the inner model's own graph, with the OUTER
# model's input.
import keras
import numpy as np
from keras import layers as L

pic = keras.Input((32, 32, 3))
h = L.Conv2D(8, 3, activation="relu", name="conv_a")(pic)
h = L.MaxPooling2D()(h)
h = L.Conv2D(16, 3, activation="relu", name="conv_b")(h)
backbone = keras.Model(pic, L.GlobalAveragePooling2D()(h), name="backbone")
img = keras.Input((32, 32, 3), name="img")
out = L.Dense(10, activation="softmax")(backbone(img))
classifier = keras.Model(img, out, name="classifier")
classifier.compile("adam", "sparse_categorical_crossentropy")
classifier.fit(np.random.rand(8, 32, 32, 3), np.random.randint(0, 10, (8,)), verbose=0)
extractor = keras.Model(classifier.input, classifier.get_layer("backbone").get_layer("conv_b").output)
maps = extractor.predict(np.random.rand(2, 32, 32, 3), verbose=0)
print(maps.shape)
