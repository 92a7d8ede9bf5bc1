"""Video detector: a per-frame model with two outputs (box, class) is wrapped in TimeDistributed."""
import numpy as np
import keras
from keras import layers

frame = keras.Input(shape=(8, 8, 3), name="frame")
h = layers.GlobalAveragePooling2D(name="gap")(layers.Conv2D(4, 3, activation="relu", name="conv")(frame))
frame_net = keras.Model(frame, [layers.Dense(4, name="box")(h), layers.Dense(3, activation="softmax", name="cls")(h)], name="frame_net")

clip = keras.Input(shape=(5, 8, 8, 3), name="clip")
boxes, classes = layers.TimeDistributed(frame_net, name="per_frame")(clip)
model = keras.Model(clip, [boxes, classes], name="tracker")
model.compile(optimizer="adam", loss=["mse", "categorical_crossentropy"])
x = np.random.rand(4, 5, 8, 8, 3).astype("float32")
y = [np.random.rand(4, 5, 4).astype("float32"), keras.utils.to_categorical(np.random.randint(0, 3, size=(4, 5)), 3)]
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
