"""A model returning a dict of outputs {"start", "end"} from a nested span head, compiled with one loss in a list."""
import keras
import numpy as np
from keras import layers

h_in = keras.Input(shape=(8,))
span_head = keras.Model(h_in, [layers.Dense(20, name="s")(h_in), layers.Dense(20, name="e")(h_in)], name="span_head")
x = keras.Input(shape=(8,), name="ctx")
s, e = span_head(x)
qa = keras.Model(x, {"start": s, "end": e}, name="qa")
qa.compile(optimizer="adam", loss=["sparse_categorical_crossentropy"])
qa.fit(np.random.rand(6, 8), {"start": np.random.randint(0, 20, 6), "end": np.random.randint(0, 20, 6)}, epochs=1, verbose=0)
