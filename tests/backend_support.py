"""What the machine's backend build can run, for tests that need it (they skip, saying why, where it cannot)."""

from __future__ import annotations

import functools

import keras
import numpy as np
import pytest


@functools.cache
def channels_first_conv_trains() -> bool:
    """Whether a channels_first Conv2D runs forward and backward here. TensorFlow's CPU kernels take channels_first
    (NCHW) convolutions only through oneDNN, which it enables on CPUs with AVX-512; elsewhere the forward pass is
    "UnimplementedError" and the gradient "InvalidArgumentError". JAX and PyTorch run them everywhere."""
    x = keras.Input((2, 6, 6))
    model = keras.Model(x, keras.layers.Conv2D(1, 3, data_format="channels_first")(x))
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.train_on_batch(np.zeros((1, 2, 6, 6), "float32"), np.zeros((1, 1, 4, 4), "float32"))
    except Exception:
        return False
    finally:
        keras.backend.clear_session(free_memory=False)
    return True


def needs_channels_first_conv() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not channels_first_conv_trains(),
                              reason="this TensorFlow CPU build runs no channels_first convolution (no oneDNN: "
                                     "the CPU lacks AVX-512)")
