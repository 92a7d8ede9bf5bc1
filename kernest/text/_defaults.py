"""The training recipe's defaults, chosen on validation splits (BENCHMARKS.md, section 4).

A module without imports, so ``kernest --help`` shows them without loading TensorFlow.
"""

EPOCHS = 4
BATCH_SIZE = 128
