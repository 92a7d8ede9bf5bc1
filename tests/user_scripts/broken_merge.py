"""A two-branch model whose branches disagree at the Concatenate: the script itself fails at import."""
import keras
from keras import layers

image_branch = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3, name="conv")], name="image_branch")
meta_branch = keras.Sequential([keras.Input((5,)), layers.Dense(4, name="fc")], name="meta_branch")
image, meta = keras.Input((16, 16, 3), name="image"), keras.Input((5,), name="meta")
merged = layers.Concatenate(name="merge")([image_branch(image), meta_branch(meta)])
model = keras.Model([image, meta], layers.Dense(1, name="out")(merged))
