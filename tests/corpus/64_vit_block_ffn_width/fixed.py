"""Tiny ViT: a transformer block written for embed_dim 32 sits on a nested patch encoder whose patches are 48 wide."""
import numpy as np
import keras
from keras import layers

pixels = keras.Input(shape=(16, 16, 3), name="pixels")
patches = layers.Reshape((16, 48), name="to_patches")(
    layers.Conv2D(48, 4, strides=4, name="patchify")(pixels)
)
patch_encoder = keras.Model(pixels, patches, name="patch_encoder")

image = keras.Input(shape=(16, 16, 3), name="image")
x = patch_encoder(image)
attn = layers.MultiHeadAttention(num_heads=2, key_dim=16, name="self_attn")(x, x)
x1 = layers.LayerNormalization(name="norm1")(layers.Add(name="attn_add")([x, attn]))
ffn = layers.Dense(64, activation="relu", name="ffn_in")(x1)
ffn = layers.Dense(48, name="ffn_out")(ffn)
x2 = layers.LayerNormalization(name="norm2")(layers.Add(name="ffn_add")([x1, ffn]))
label = layers.Dense(10, activation="softmax", name="label")(layers.GlobalAveragePooling1D(name="gap")(x2))
model = keras.Model(image, label, name="vit")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x_img = np.random.rand(4, 16, 16, 3).astype("float32")
y = np.random.randint(0, 10, size=(4,))
model.fit(x_img, y, epochs=1, batch_size=len(x_img), verbose=0)
