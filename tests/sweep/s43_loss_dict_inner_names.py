"""A detector with two nested heads compiled with a loss dict keyed by the heads' inner layer names."""
import keras
import numpy as np
from keras import layers

f_in = keras.Input(shape=(7,))
label_head = keras.Model(f_in, layers.Dense(3, activation="softmax", name="label_probs")(f_in), name="label_head")
g_in = keras.Input(shape=(7,))
box_head = keras.Model(g_in, layers.Dense(4, name="box_coords")(g_in), name="box_head")
x = keras.Input(shape=(5,), name="feats")
h = layers.Dense(7, name="trunk")(x)
detector = keras.Model(x, [label_head(h), box_head(h)], name="detector")
detector.compile(optimizer="adam", loss={"label_probs": "categorical_crossentropy", "box_coords": "mse"})
detector.fit(np.random.rand(8, 5), [np.eye(3)[np.random.randint(0, 3, 8)], np.random.rand(8, 4)], epochs=1, verbose=0)
