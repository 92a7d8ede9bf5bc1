"""Multi-task vision: a nested trunk feeds three heads, but compile gets a loss list with two entries."""
import numpy as np
import keras
from keras import layers

trunk = keras.Sequential(
    [
        keras.Input(shape=(16, 16, 3)),
        layers.Conv2D(8, 3, padding="same", activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="trunk",
)

photo = keras.Input(shape=(16, 16, 3), name="photo")
features = trunk(photo)
scene = layers.Dense(4, activation="softmax", name="scene")(features)
blur = layers.Dense(1, activation="sigmoid", name="blur")(features)
tilt = layers.Dense(1, name="tilt")(features)
model = keras.Model(photo, [scene, blur, tilt], name="photo_tasks")
model.compile(optimizer="adam", loss={"scene": "sparse_categorical_crossentropy", "blur": "binary_crossentropy", "tilt": "mse"})

x = np.random.rand(4, 16, 16, 3).astype("float32")
y = [np.random.randint(0, 4, size=(4,)), np.random.randint(0, 2, size=(4, 1)).astype("float32"),
     np.random.rand(4, 1).astype("float32")]
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
