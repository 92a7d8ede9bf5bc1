"""Grad-CAM on a transfer-learning classifier: the last conv layer is looked up on the outer model, but it lives in the nested backbone."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential([
    keras.Input(shape=(16, 16, 3)),
    layers.Conv2D(8, 3, activation="relu", name="conv1"),
    layers.Conv2D(16, 3, activation="relu", name="conv_last"),
], name="backbone")
img = keras.Input(shape=(16, 16, 3), name="img")
feat = layers.GlobalAveragePooling2D(name="gap")(backbone(img))
model = keras.Model(img, layers.Dense(4, activation="softmax", name="probs")(feat), name="classifier")

last_conv = model.get_layer("conv_last")
grad_model = keras.Model(model.inputs, [last_conv.output, model.output])
maps, probs = grad_model.predict(np.random.rand(2, 16, 16, 3).astype("float32"), verbose=0)
