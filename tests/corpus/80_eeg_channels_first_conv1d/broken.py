"""EEG windows as (batch, 7 channels, 100 samples) fed to a nested Conv1D feature extractor, which convolves over the 7-long axis."""
import numpy as np
import keras
from keras import layers

features = keras.Sequential(
    [
        layers.Conv1D(16, 5, padding="same", activation="relu", name="conv1"),
        layers.MaxPooling1D(2, name="pool1"),
        layers.Conv1D(16, 5, activation="relu", name="conv2"),
        layers.GlobalMaxPooling1D(name="gpool"),
    ],
    name="features",
)

eeg = keras.Input(shape=(7, 100), name="eeg")
out = layers.Dense(3, activation="softmax", name="state")(features(eeg))
model = keras.Model(eeg, out, name="eeg_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 7, 100).astype("float32")
y = np.random.randint(0, 3, size=(4,))
model.fit(x, y, epochs=1, batch_size=4, verbose=0)
