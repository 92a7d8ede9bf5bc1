"""The training recipe's defaults, chosen on validation splits (BENCHMARKS.md, section 4).

A module without imports, so ``kernest --help`` shows them without loading TensorFlow.
"""

from __future__ import annotations

EPOCHS = 4
BATCH_SIZE = 128
MIN_STEPS = 300            # optimiser steps that a small training set still gets
MIN_BATCHES_PER_EPOCH = 16
MAX_EPOCHS = 40
SMALLEST_BATCH = 16


def schedule(n_train: int, epochs: int | None = None, batch_size: int | None = None) -> tuple[int, int]:
    """``kernest train``'s epochs and batch size for ``n_train`` training texts, where none were given.

    A large set gets ``EPOCHS`` epochs of ``BATCH_SIZE``. A small one gets smaller batches (a power of two,
    at least ``MIN_BATCHES_PER_EPOCH`` per epoch) and more epochs, so that it still sees about
    ``MIN_STEPS`` optimiser steps; early stopping on validation ends it sooner where that helps.

    >>> schedule(30_000), schedule(541), schedule(541, epochs=2)
    ((4, 128), (18, 32), (2, 32))
    """
    if batch_size is None:
        batch_size = BATCH_SIZE
        while batch_size > SMALLEST_BATCH and n_train < batch_size * MIN_BATCHES_PER_EPOCH:
            batch_size //= 2
    if epochs is None:
        per_epoch = max(1, -(-n_train // batch_size))
        epochs = min(MAX_EPOCHS, max(EPOCHS, -(-MIN_STEPS // per_epoch)))
    return epochs, batch_size
