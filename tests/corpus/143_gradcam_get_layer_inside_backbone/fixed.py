"""Fixed: the conv layer is looked up in the nested backbone, and the Grad-CAM model is built from the backbone's
own graph: its feature map, then the outer head applied to it."""
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

last_conv = model.get_layer("backbone").get_layer("conv_last")
maps = last_conv.output
probs = model.get_layer("probs")(model.get_layer("gap")(maps))
grad_model = keras.Model(backbone.inputs, [maps, probs])
maps_v, probs_v = grad_model.predict(np.random.rand(2, 16, 16, 3).astype("float32"), verbose=0)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.random.rand(4, 16, 16, 3).astype("float32"), np.random.randint(0, 4, size=(4,)), epochs=1, batch_size=4, verbose=0)
