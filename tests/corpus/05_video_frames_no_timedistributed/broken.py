"""Action recognition: a per-frame CNN applied to a clip of frames, then a GRU over time."""
import numpy as np
import keras
from keras import layers

frame_cnn = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3), name="frame"),
        layers.Conv2D(8, 3, strides=2, activation="relu", name="conv1"),
        layers.Conv2D(16, 3, strides=2, activation="relu", name="conv2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="frame_cnn",
)

clip = keras.Input(shape=(8, 32, 32, 3), name="clip")
per_frame = frame_cnn(clip)
motion = layers.GRU(16, name="gru")(per_frame)
action = layers.Dense(3, activation="softmax", name="action")(motion)
model = keras.Model(clip, action, name="action_net")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 8, 32, 32, 3).astype("float32")
y = np.random.randint(0, 3, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
