"""The article's example 3 as written: it does not build on Keras 3.

The inner model's two outputs are computed from fresh keras.Input objects rather than from the
model's own input, so Keras raises "Output with path '0' is not connected to 'inputs'".
Run `kernest check examples/broken/03_fresh_inputs.py` to see which Input objects are to blame.
"""

import keras

L = keras.layers

features_in = keras.Input((10,), name="features_in")
wide = L.Dense(32, name="wide")(keras.Input((10,), name="fresh_wide"))
narrow = L.Dense(16, name="narrow")(keras.Input((10,), name="fresh_narrow"))
inner = keras.Model(features_in, [wide, narrow], name="inner")
