"""Fine-tuning recipe: GlobalAveragePooling2D on top of a backbone that was built with pooling="avg" and so already outputs (batch, features)."""
import numpy as np
import keras
from keras import layers

backbone = keras.applications.MobileNetV2(
    input_shape=(32, 32, 3), alpha=0.35, weights=None, include_top=False, pooling="avg", name="backbone"
)
image = keras.Input(shape=(32, 32, 3), name="image")
x = layers.GlobalAveragePooling2D(name="gap")(backbone(image))
out = layers.Dense(3, activation="softmax", name="species")(x)
model = keras.Model(image, out, name="bird_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 32, 32, 3).astype("float32")
y = np.random.randint(0, 3, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
