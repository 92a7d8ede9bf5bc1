"""Gaze estimator: two CNN branches; the eye branch is wired in through eye_net.output, whose graph starts at
eye_net's own Input, not at the outer model's eye_in."""
import numpy as np
import keras
from keras import layers


def branch(shape, name, input_name):
    inp = keras.Input(shape=shape, name=input_name)
    x = layers.Conv2D(8, 3, activation="relu", name=f"{name}_conv")(inp)
    x = layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    return keras.Model(inp, x, name=name)


eye_net = branch((24, 48, 1), "eye_net", "eye_pixels")
face_net = branch((32, 32, 3), "face_net", "face_pixels")

eye_in = keras.Input(shape=(24, 48, 1), name="eye")
face_in = keras.Input(shape=(32, 32, 3), name="face")
merged = layers.Concatenate(name="merge")([eye_net.output, face_net(face_in)])
gaze = layers.Dense(2, name="gaze_xy")(layers.Dense(16, activation="relu", name="fc")(merged))
model = keras.Model([eye_in, face_in], gaze, name="gaze_estimator")
model.compile(optimizer="adam", loss="mse")

x = [np.random.rand(4, 24, 48, 1).astype("float32"), np.random.rand(4, 32, 32, 3).astype("float32")]
y = np.random.rand(4, 2).astype("float32")
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
