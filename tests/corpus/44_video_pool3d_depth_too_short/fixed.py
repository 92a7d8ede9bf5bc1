"""Action clips of 4 frames: the nested Conv3D block pools depth 4 to 2, then a 3x3x3 'valid' convolution has too few frames."""
import numpy as np
import keras
from keras import layers

block = keras.Sequential(
    [
        layers.Conv3D(8, 3, padding="same", activation="relu", name="conv_a"),
        layers.MaxPooling3D(2, name="pool_a"),
        layers.Conv3D(16, 3, padding="same", activation="relu", name="conv_b"),
        layers.GlobalAveragePooling3D(name="gap"),
    ],
    name="block",
)

clip = keras.Input(shape=(4, 24, 24, 3), name="clip")
action = layers.Dense(5, activation="softmax", name="action")(block(clip))
model = keras.Model(clip, action, name="action_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 4, 24, 24, 3).astype("float32")
y = np.random.randint(0, 5, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
