"""Two-stream model: a helper function builds the image tower, and it is called once per stream, so both towers get one name."""
import numpy as np
import keras
from keras import layers


def make_tower():
    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(8, 3, activation="relu", name="conv"),
            layers.GlobalAveragePooling2D(name="gap"),
        ],
        name="tower",
    )


rgb = keras.Input(shape=(32, 32, 3), name="rgb")
flow = keras.Input(shape=(32, 32, 3), name="flow")
rgb_tower, flow_tower = make_tower(), make_tower()
both = layers.Concatenate(name="both")([rgb_tower(rgb), flow_tower(flow)])
action = layers.Dense(3, activation="softmax", name="action")(both)
model = keras.Model([rgb, flow], action, name="two_stream")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = [np.random.rand(4, 32, 32, 3).astype("float32") for _ in range(2)]
y = np.random.randint(0, 3, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
