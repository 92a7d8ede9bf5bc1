"""Silent: a backbone of custom conv+BN blocks is frozen by freezing each block's conv; the BNs keep updating."""
import keras
import numpy as np
from keras import layers


class ConvBN(layers.Layer):
    def __init__(self, filters, tag, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same", name=f"conv_{tag}")
        self.bn = layers.BatchNormalization(name=f"bn_{tag}")

    def call(self, x, training=None):
        return keras.ops.relu(self.bn(self.conv(x), training=training))


b_in = keras.Input(shape=(16, 16, 3))
y = ConvBN(8, "a", name="block_a")(b_in)
y = ConvBN(8, "b", name="block_b")(y)
backbone = keras.Model(b_in, layers.GlobalAveragePooling2D(name="gap")(y), name="backbone")
for block in backbone.layers[1:3]:
    block.conv.trainable = False
img = keras.Input(shape=(16, 16, 3), name="img")
model = keras.Model(img, layers.Dense(3, activation="softmax", name="cls")(backbone(img)), name="model")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 16, 16, 3).astype("float32"), np.random.randint(0, 3, 8), epochs=1, verbose=0)
