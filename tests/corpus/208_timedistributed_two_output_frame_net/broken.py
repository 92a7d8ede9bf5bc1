"""A per-frame CNN with two outputs (a feature vector and a box) is wrapped in TimeDistributed to run over the
frames of a clip; TimeDistributed handles one output only and fails with "Cannot convert '4' to a shape"."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 4, 16, 16, 3).astype("float32")
y = np.random.randint(0, 2, (8, 1)).astype("float32")
frame = keras.Input(shape=(16, 16, 3), name="frame")
h = layers.Conv2D(8, 3, activation="relu", name="conv")(frame)
h = layers.GlobalAveragePooling2D(name="pool")(h)
frame_net = keras.Model(frame, [layers.Dense(16, name="feat")(h), layers.Dense(4, name="box")(h)], name="frame_net")

clip = keras.Input(shape=(4, 16, 16, 3), name="clip")
feats, boxes = layers.TimeDistributed(frame_net, name="per_frame")(clip)
h = layers.Concatenate(name="both")([feats, boxes])
h = layers.GlobalAveragePooling1D(name="over_time")(h)
model = keras.Model(clip, layers.Dense(1, activation="sigmoid", name="event")(h), name="video")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
