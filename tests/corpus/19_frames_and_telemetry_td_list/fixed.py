"""Drone footage: a per-frame model takes a 16x16 thermal frame plus that frame's telemetry; TimeDistributed is given both."""
import numpy as np
import keras
import kernest
from keras import layers

frame_in = keras.Input(shape=(16, 16, 1), name="frame_in")
telemetry_in = keras.Input(shape=(2,), name="telemetry_in")
seen = layers.GlobalMaxPooling2D(name="gmp")(layers.Conv2D(8, 3, activation="relu", name="conv")(frame_in))
frame_model = keras.Model(
    [frame_in, telemetry_in], layers.Concatenate(name="frame_feat")([seen, telemetry_in]), name="frame_model"
)

frames = keras.Input(shape=(6, 16, 16, 1), name="frames")
telemetry = keras.Input(shape=(6, 2), name="telemetry")
per_frame = kernest.over(1, frame_model, name="per_frame")([frames, telemetry])
track = layers.LSTM(16, name="track")(per_frame)
alarm = layers.Dense(1, activation="sigmoid", name="alarm")(track)
model = keras.Model([frames, telemetry], alarm, name="hotspot_detector")
model.compile(optimizer="adam", loss="binary_crossentropy")

f = np.random.rand(4, 6, 16, 16, 1).astype("float32")
t = np.random.rand(4, 6, 2).astype("float32")
y = np.random.randint(0, 2, size=(4, 1)).astype("float32")
model.fit([f, t], y, epochs=1, batch_size=len(f), verbose=0)
