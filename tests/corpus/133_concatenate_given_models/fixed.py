"""Fixed: the encoders' output tensors are concatenated."""
import numpy as np
import keras
from keras import layers

words = keras.Input(shape=(20,), name="words")
text_model = keras.Model(words, layers.Dense(16, activation="relu", name="text_dense")(words), name="text_model")
pixels = keras.Input(shape=(12, 12, 3), name="pixels")
feat = layers.Conv2D(8, 3, activation="relu", name="conv")(pixels)
image_model = keras.Model(pixels, layers.GlobalAveragePooling2D(name="gap")(feat), name="image_model")

merged = layers.Concatenate(name="fuse")([text_model.output, image_model.output])
out = layers.Dense(2, activation="softmax", name="label")(merged)
model = keras.Model([text_model.input, image_model.input], out, name="fusion")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = [np.random.rand(8, 20).astype("float32"), np.random.rand(8, 12, 12, 3).astype("float32")]
model.fit(x, np.random.randint(0, 2, size=(8,)), epochs=1, batch_size=8, verbose=0)
