"""Plant-disease classifier, fine-tuning phase: the backbone is unfrozen and all but its top 3 layers are frozen
again, as in the transfer-learning recipe. The top 3 include a BatchNormalization (bn2), which re-estimates its moving statistics
on the small new dataset during fit."""
import numpy as np
import keras
from keras import layers

backbone = keras.Sequential(
    [
        keras.Input(shape=(32, 32, 3), name="leaf_rgb"),
        layers.Conv2D(8, 3, name="conv1"),
        layers.BatchNormalization(name="bn1"),
        layers.ReLU(name="relu1"),
        layers.Conv2D(16, 3, name="conv2"),
        layers.BatchNormalization(name="bn2"),
        layers.ReLU(name="relu2"),
        layers.GlobalAveragePooling2D(name="gap"),
    ],
    name="backbone",
)
backbone.trainable = True
for layer in backbone.layers[:-3]:
    layer.trainable = False

leaf = keras.Input(shape=(32, 32, 3), name="leaf")
features = backbone(leaf)
model = keras.Model(leaf, layers.Dense(6, activation="softmax", name="disease")(features), name="plant_clf")
model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 32, 32, 3).astype("float32") * 4.0
y = np.random.randint(0, 6, (8,))
stats_before = np.array(backbone.get_layer("bn2").moving_mean)
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
# Verified: bn2.moving_mean changes after one fine-tuning step on all three backends.
print("bn2 moving_mean change:", float(np.abs(np.array(backbone.get_layer("bn2").moving_mean) - stats_before).max()))
