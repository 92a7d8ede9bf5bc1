"""A ViT-style encoder block written for tf.keras 2 declares call(self, inputs, training) with no default and is
called as block(patches); Keras 3 passes training only when it is given or a default exists."""
import numpy as np
import keras
from keras import layers

x = np.random.rand(8, 6, 16).astype("float32")
y = np.random.randint(0, 4, (8,)).astype("int32")


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=heads, key_dim=dim)
        self.drop = layers.Dropout(0.1)
        self.norm = layers.LayerNormalization()

    def call(self, inputs, training):
        a = self.att(inputs, inputs)
        return self.norm(inputs + self.drop(a, training=training))


patches = keras.Input(shape=(6, 16), name="patches")
h = EncoderBlock(16, 2, name="block")(patches)
encoder = keras.Model(patches, layers.GlobalAveragePooling1D(name="pool")(h), name="encoder")
inp = keras.Input(shape=(6, 16), name="image_patches")
model = keras.Model(inp, layers.Dense(4, activation="softmax", name="label")(encoder(inp)), name="vit")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
