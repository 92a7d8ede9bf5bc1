"""Seed example 3, done right: an inner model with two outputs (32 and 16 wide) feeding an outer model
with two named inputs, concatenated, then Dense(1).

Both outputs are computed from the inner model's own input. kernest.connect wires them by name and
gives the result's outputs unique names.
"""

from __future__ import annotations

import keras

import kernest

L = keras.layers


def build() -> keras.Model:
    x = keras.Input((10,), name="features_in")
    inner = keras.Model(x, [L.Dense(32, name="wide")(x), L.Dense(16, name="narrow")(x)], name="inner")
    wide, narrow = keras.Input((32,), name="wide"), keras.Input((16,), name="narrow")
    joined = L.Concatenate(name="concat")([wide, narrow])
    outer = keras.Model([wide, narrow], L.Dense(1, name="out")(joined), name="outer")
    return kernest.connect(inner, outer, name="two_into_two")


if __name__ == "__main__":
    model = build()
    print("wiring:", "; ".join(str(w) for w in model.wiring))
    print(kernest.check(model))
    model.summary()
