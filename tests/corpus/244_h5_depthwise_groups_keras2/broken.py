"""A Keras-2-era image classifier (a nested MobileNet-like backbone with a DepthwiseConv2D) exported to .h5 by a
TensorFlow 2.x tool: the file's layer config holds DepthwiseConv2D's old groups=1. Keras 3's load_model passes every
config key to the layer's constructor, which rejects groups. (The script first writes such a file, as the exporter
did, then loads it.)"""
import json
import os
import tempfile

import h5py
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential([keras.Input(shape=(16, 16, 3)), layers.Conv2D(4, 3, name="stem"),
                             layers.DepthwiseConv2D(3, name="dw"), layers.GlobalAveragePooling2D(name="gap")],
                            name="backbone")
image = keras.Input(shape=(16, 16, 3), name="image")
exported = keras.Model(image, layers.Dense(2, activation="softmax", name="classes")(backbone(image)), name="classifier")
path = os.path.join(tempfile.mkdtemp(), "keras_model.h5")
exported.save(path)
with h5py.File(path, "r+") as f:  # the exporter's Keras 2 wrote DepthwiseConv2D's groups=1 into the config
    config = json.loads(f.attrs["model_config"])
    for layer in config["config"]["layers"]:
        for inner in layer["config"].get("layers", []):
            if inner["class_name"] == "DepthwiseConv2D":
                inner["config"]["groups"] = 1
    f.attrs["model_config"] = json.dumps(config)

x = np.random.rand(8, 16, 16, 3).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 2, 8), 2)
model = keras.models.load_model(path, compile=False)
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
