"""A speech-command classifier (a nested Conv1D feature extractor) trained under a MirroredStrategy in the script's
`if __name__ == "__main__":` block: the model is built before `with strategy.scope():`, which holds only compile,
so its variables belong to no strategy and fit refuses them (TensorFlow only)."""
import numpy as np
import keras
import tensorflow as tf
from keras import layers


def build_classifier(n_words=8):
    wave = keras.Input((400, 1), name="wave")
    h = layers.Conv1D(8, 9, strides=4, activation="relu", name="conv")(wave)
    features = keras.Model(wave, layers.GlobalMaxPooling1D(name="pool")(h), name="features")
    clip = keras.Input((400, 1), name="clip")
    return keras.Model(clip, layers.Dense(n_words, activation="softmax", name="word")(features(clip)), name="kws")


if __name__ == "__main__":
    strategy = tf.distribute.MirroredStrategy()
    clips = np.random.rand(64, 400, 1).astype("float32")
    words = np.random.randint(0, 8, size=(64,))
    model = build_classifier()
    with strategy.scope():
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(clips, words, epochs=1, batch_size=16, verbose=0)
