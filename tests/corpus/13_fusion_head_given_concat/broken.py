"""Real-estate pricing: a two-input fusion head (image features, listing stats) is given one concatenated tensor."""
import numpy as np
import keras
from keras import layers

img_feat_in = keras.Input(shape=(16,), name="img_feat_in")
stats_in = keras.Input(shape=(5,), name="stats_in")
mixed = layers.Concatenate(name="mix")([layers.Dense(8, name="img_proj")(img_feat_in), stats_in])
fusion = keras.Model([img_feat_in, stats_in], layers.Dense(1, name="price")(mixed), name="fusion")

photo = keras.Input(shape=(20, 20, 3), name="photo")
stats = keras.Input(shape=(5,), name="stats")
img_feat = layers.GlobalAveragePooling2D(name="gap")(layers.Conv2D(16, 3, activation="relu", name="conv")(photo))
both = layers.Concatenate(name="both")([img_feat, stats])
model = keras.Model([photo, stats], fusion(both), name="pricer")
model.compile(optimizer="adam", loss="mse")

x1 = np.random.rand(8, 20, 20, 3).astype("float32")
x2 = np.random.rand(8, 5).astype("float32")
y = np.random.rand(8, 1).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
