"""Satellite tiles: an encoder written Keras-2 style with outputs=[...] is saved, reloaded (here in memory) and stacked under a new head."""
import numpy as np
import keras
from keras import layers

tile_in = keras.Input(shape=(8, 8, 3), name="tile_in")
h = layers.Conv2D(8, 3, padding="same", activation="relu", name="conv")(tile_in)
encoder = keras.Model(tile_in, [layers.GlobalAveragePooling2D(name="gap")(h)], name="encoder")

# what save() + load_model() does, without a file
loaded_encoder = keras.models.model_from_json(encoder.to_json())
loaded_encoder.set_weights(encoder.get_weights())

image = keras.Input(shape=(8, 8, 3), name="image")
land_use = layers.Dense(5, activation="softmax", name="land_use")(loaded_encoder(image))
model = keras.Model(image, land_use, name="tile_classifier")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 8, 8, 3).astype("float32")
y = np.random.randint(0, 5, size=(8,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
