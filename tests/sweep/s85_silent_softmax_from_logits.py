"""Silent: a subclassed classifier head ends in softmax, and the outer model's loss is told from_logits=True."""
import keras
import numpy as np
from keras import layers


class ClassHead(keras.Model):
    def __init__(self, classes, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(16, activation="relu", name="hid")
        self.probs = layers.Dense(classes, activation="softmax", name="probs")

    def call(self, x):
        return self.probs(self.hidden(x))


f_in = keras.Input(shape=(12,))
features = keras.Model(f_in, layers.Dense(12, activation="relu", name="f")(f_in), name="features")
x = keras.Input(shape=(12,), name="x")
model = keras.Model(x, ClassHead(5, name="cls_head")(features(x)), name="model")
model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(np.random.rand(16, 12).astype("float32"), np.random.randint(0, 5, 16), epochs=1, verbose=0)
