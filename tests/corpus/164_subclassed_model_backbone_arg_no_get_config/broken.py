"""A registered subclassed classifier takes its nested backbone model as a constructor argument and has no
get_config: Keras cannot serialize the backbone argument, and model.save fails."""
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


backbone = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="relu", name="feat")], name="backbone")
model = Classifier(backbone, n_classes=3, name="clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = np.random.rand(8, 10).astype("float32")
y = np.random.randint(0, 3, size=(8,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
model.save(os.path.join(tempfile.mkdtemp(), "clf.keras"))
