"""Street scenes: an RGB tower and a depth tower are fused with Concatenate, but the depth tower downsamples once more."""
import numpy as np
import keras
from keras import layers

rgb_in = keras.Input(shape=(32, 32, 3), name="rgb_in")
rgb_tower = keras.Model(
    rgb_in, layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="rgb_conv")(rgb_in), name="rgb_tower"
)

depth_in = keras.Input(shape=(32, 32, 1), name="depth_in")
d = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="depth_conv1")(depth_in)
d = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="depth_conv2")(d)
depth_tower = keras.Model(depth_in, d, name="depth_tower")

rgb = keras.Input(shape=(32, 32, 3), name="rgb")
depth = keras.Input(shape=(32, 32, 1), name="depth")
depth_up = layers.UpSampling2D(2, name="depth_up")(depth_tower(depth))
fused = layers.Concatenate(name="fuse")([rgb_tower(rgb), depth_up])
seg = layers.Conv2D(1, 1, activation="sigmoid", name="road_mask")(fused)
model = keras.Model([rgb, depth], seg, name="scene_net")
model.compile(optimizer="adam", loss="binary_crossentropy")

x1 = np.random.rand(8, 32, 32, 3).astype("float32")
x2 = np.random.rand(8, 32, 32, 1).astype("float32")
y = np.random.randint(0, 2, (8, 16, 16, 1)).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
