# After keras-team/keras#5687 (a CNN model applied per frame with TimeDistributed; the frames are not
# the size the per-frame model was built for).
import keras
import numpy as np
from keras import layers as L

frame = keras.Input((28, 28, 3))
h = L.Conv2D(8, 3, activation="relu")(frame)
h = L.MaxPooling2D()(h)
h = L.Flatten()(h)
frame_cnn = keras.Model(frame, L.Dense(16)(h), name="frame_cnn")

clip = keras.Input((6, 32, 32, 3), name="clip")
per_frame = L.TimeDistributed(frame_cnn, name="per_frame")(clip)
out = L.Dense(3, activation="softmax")(L.GRU(16)(per_frame))
model = keras.Model(clip, out, name="video")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(4, 6, 32, 32, 3), np.random.randint(0, 3, (4,)), verbose=0)
