"""Video action classifier: a per-frame CNN inside TimeDistributed, then an LSTM. The conv activations per frame come from
kernest.extract, which keeps the frames axis (fixed)."""
import numpy as np
import keras
from keras import layers

import kernest

frame = keras.Input(shape=(32, 32, 3), name="frame")
f = layers.Conv2D(8, 3, activation="relu", name="frame_conv")(frame)
f = layers.GlobalMaxPooling2D(name="frame_pool")(f)
frame_cnn = keras.Model(frame, f, name="frame_cnn")

clip = keras.Input(shape=(6, 32, 32, 3), name="clip")
h = layers.TimeDistributed(frame_cnn, name="per_frame")(clip)
h = layers.LSTM(16, name="temporal")(h)
model = keras.Model(clip, layers.Dense(5, activation="softmax", name="action")(h), name="action_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = np.random.rand(4, 6, 32, 32, 3).astype("float32")
y = np.random.randint(0, 5, (4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)

viz = kernest.extract(model, "per_frame/frame_cnn/frame_conv")
maps = viz.predict(x, verbose=0)
assert maps.shape == (4, 6, 30, 30, 8)
