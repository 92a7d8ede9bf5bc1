"""A detector's nested head holds a custom layer whose get_config returns its variances as a NumPy array; the
model saves, but load_model cannot rebuild it ("could not be deserialized properly")."""
import os
import tempfile

import numpy as np
import keras
from keras import layers


@keras.saving.register_keras_serializable(package="detector")
class AnchorScale(layers.Layer):
    def __init__(self, variances, **kwargs):
        super().__init__(**kwargs)
        self.variances = np.asarray(variances, dtype="float32")

    def call(self, inputs):
        return inputs * keras.ops.convert_to_tensor(self.variances)

    def get_config(self):
        return {**super().get_config(), "variances": self.variances}


x = np.random.rand(8, 10).astype("float32")
y = np.random.rand(8, 4).astype("float32")
head = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(4, name="boxes"),
                         AnchorScale([0.1, 0.1, 0.2, 0.2], name="anchors")], name="head")
features = keras.Input(shape=(10,), name="features")
model = keras.Model(features, head(features), name="detector")
model.compile(optimizer="adam", loss="mse")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
path = os.path.join(tempfile.mkdtemp(), "detector.keras")
model.save(path)
model = keras.models.load_model(path)
