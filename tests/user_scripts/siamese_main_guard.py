"""A siamese network whose model is built and trained only inside main(), behind the usual guard."""
import keras
import numpy as np
from keras import layers, ops

EMBEDDING_DIM = 8


def embedding_tower(dim=16):
    inputs = keras.Input((dim,), name="features")
    x = layers.Dense(32, activation="relu", name="fc1")(inputs)
    x = layers.Dense(EMBEDDING_DIM, name="embedding")(x)
    return keras.Model(inputs, x, name="tower")


def euclidean_distance(vects):
    x, y = vects
    return ops.sqrt(ops.maximum(ops.sum(ops.square(x - y), axis=1, keepdims=True), 1e-7))


def main():
    tower = embedding_tower()
    left, right = keras.Input((16,), name="left"), keras.Input((16,), name="right")
    diff = layers.Subtract(name="diff")([tower(left), tower(right)])
    score = layers.Dense(1, activation="sigmoid", name="score")(layers.Lambda(ops.abs, name="abs")(diff))
    siamese = keras.Model([left, right], score, name="siamese")
    siamese.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    pairs = np.random.rand(2, 512, 16).astype("float32")
    labels = np.random.randint(0, 2, (512, 1)).astype("float32")
    siamese.fit([pairs[0], pairs[1]], labels, batch_size=16, epochs=40)
    print(siamese.evaluate([pairs[0], pairs[1]], labels))


if __name__ == "__main__":
    main()
