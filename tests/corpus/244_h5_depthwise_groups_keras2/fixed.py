"""Fixed: load_model maps DepthwiseConv2D to a subclass that drops the old groups key from the Keras-2 config."""
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


class DepthwiseConv2DCompat(layers.DepthwiseConv2D):
    def __init__(self, **kwargs):
        kwargs.pop("groups", None)
        super().__init__(**kwargs)


model = keras.models.load_model(path, compile=False, custom_objects={"DepthwiseConv2D": DepthwiseConv2DCompat})
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
