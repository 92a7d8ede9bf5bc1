"""A stage builder names its layers like TF1 scopes, f"{prefix}/dense{i}"; Keras 3 refuses a layer name with "/"."""
import numpy as np
import keras
from keras import layers


def make_stage(prefix, width, depth):
    return keras.Sequential([layers.Dense(width, activation="relu", name=f"{prefix}/dense{i}") for i in range(depth)],
                            name=prefix)


x = np.random.rand(8, 12).astype("float32")
y = np.random.randint(0, 3, (8,))
inp = keras.Input(shape=(12,), name="features")
h = make_stage("stage1", 16, 2)(inp)
h = make_stage("stage2", 8, 2)(h)
model = keras.Model(inp, layers.Dense(3, activation="softmax", name="classes")(h), name="mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
