"""Seed example 2: an MLP (10 -> 64 -> 32) nested in an MLP (32 -> 16 -> 1)."""

from __future__ import annotations

import keras

import kernest

L = keras.layers


def build() -> keras.Model:
    inner = keras.Sequential([keras.Input((10,)), L.Dense(64, activation="relu", name="hidden"), L.Dense(32, activation="relu", name="features")], name="inner_mlp")
    outer = keras.Sequential([keras.Input((32,)), L.Dense(16, activation="relu", name="hidden"), L.Dense(1, name="out")], name="outer_mlp")
    return kernest.nest(inner, outer, input=kernest.Input((10,), axes=("features",), name="x"), name="mlp_in_mlp")


if __name__ == "__main__":
    model = build()
    print(kernest.check(model))
    model.summary()
