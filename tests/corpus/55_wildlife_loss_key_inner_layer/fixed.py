"""Camera traps: the species output comes from a nested head, but the loss dict is keyed by the head's inner layer name."""
import numpy as np
import keras
from keras import layers

feat_in = keras.Input(shape=(12,), name="feat_in")
species_head = keras.Model(
    feat_in, layers.Dense(3, activation="softmax", name="species_probs")(feat_in), name="species_head"
)

trap = keras.Input(shape=(12,), name="trap")
count = layers.Dense(1, name="count")(trap)
model = keras.Model(trap, [species_head(trap), count], name="wildlife")
model.compile(optimizer="adam", loss={"species_head": "sparse_categorical_crossentropy", "count": "mse"})

x = np.random.rand(8, 12).astype("float32")
y = {"species_head": np.random.randint(0, 3, (8, 1)), "count": np.random.rand(8, 1).astype("float32")}
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
