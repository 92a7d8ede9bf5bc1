"""Limit 3 (round 5): an endless generator reads sensor rows from an open CSV file: `while True:` around one pass
that rewinds the file, and a `break` that leaves the pass (not the `while True:`) at the file's footer line;
fit takes 4 steps an epoch for 3 epochs."""
import os
import tempfile

import numpy as np
import keras
from keras import layers

path = os.path.join(tempfile.mkdtemp(), "vibration.csv")
with open(path, "w") as f:
    for row in np.random.rand(32, 21):
        f.write(",".join(f"{v:.4f}" for v in row) + "\n")
    f.write("# end of export\n")


def sensor_batches(lines, batch_size):
    while True:
        lines.seek(0)
        rows = []
        for line in lines:
            if line.startswith("#"):
                break
            rows.append([float(v) for v in line.split(",")])
            if len(rows) == batch_size:
                block = np.array(rows, dtype="float32")
                yield block[:, :20], (block[:, 20:] > 0.5).astype("float32")
                rows = []


i = keras.Input((20,), name="signal")
h = layers.Dense(16, activation="relu", name="mix")(i)
trunk = keras.Model(i, layers.Dense(8, activation="relu", name="summary")(h), name="trunk")
j = keras.Input((20,), name="sensor")
detector = keras.Model(j, layers.Dense(1, activation="sigmoid", name="fault")(trunk(j)), name="detector")
detector.compile("adam", "binary_crossentropy")
detector.fit(sensor_batches(open(path), 8), steps_per_epoch=4, epochs=3, verbose=0)
