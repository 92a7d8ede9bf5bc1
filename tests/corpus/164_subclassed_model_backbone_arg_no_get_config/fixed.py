"""Fixed: get_config serializes the backbone argument and from_config rebuilds it; the model saves and loads."""
import os
import tempfile

import numpy as np
import keras
from keras import layers


@keras.saving.register_keras_serializable(package="corpus164")
class Classifier(keras.Model):
    def __init__(self, backbone, n_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.n_classes = n_classes
        self.head = layers.Dense(n_classes, activation="softmax", name="head")

    def call(self, inputs):
        return self.head(self.backbone(inputs))

    def get_config(self):
        return {"name": self.name, "n_classes": self.n_classes,
                "backbone": keras.saving.serialize_keras_object(self.backbone)}

    @classmethod
    def from_config(cls, config):
        config["backbone"] = keras.saving.deserialize_keras_object(config.pop("backbone"))
        return cls(**config)


backbone = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="feat")], name="backbone")
model = Classifier(backbone, n_classes=3, name="clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 3, size=(8,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
path = os.path.join(tempfile.mkdtemp(), "clf.keras")
model.save(path)
keras.saving.load_model(path)
