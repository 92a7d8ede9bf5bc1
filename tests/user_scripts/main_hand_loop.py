"""An encoder and a regressor built inside main(), then trained by a hand-written loop that never ends soon;
the script ends with sys.exit(main())."""
import sys

import keras
import numpy as np


def main():
    enc = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="fc")], name="enc")
    x = keras.Input((4,), name="x")
    net = keras.Model(x, keras.layers.Dense(1, name="out")(enc(x)), name="net")
    optimizer = keras.optimizers.SGD(0.01)
    data = np.random.rand(64, 4).astype("float32")
    for step in range(10**9):
        optimizer.learning_rate.assign(0.01 / (1 + step))
        net.predict(data, verbose=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
