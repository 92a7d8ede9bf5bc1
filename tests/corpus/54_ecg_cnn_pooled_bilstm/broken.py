"""ECG beats: a nested Conv1D feature extractor ends in GlobalMaxPooling1D, then the outer model runs a Bidirectional LSTM."""
import numpy as np
import keras
from keras import layers

beat_in = keras.Input(shape=(64, 1), name="beat_in")
c = layers.Conv1D(16, 5, padding="same", activation="relu", name="conv")(beat_in)
c = layers.GlobalMaxPooling1D(name="pool")(c)
cnn = keras.Model(beat_in, c, name="cnn")

ecg = keras.Input(shape=(64, 1), name="ecg")
seq = layers.Bidirectional(layers.LSTM(8, name="lstm"), name="bilstm")(cnn(ecg))
arrhythmia = layers.Dense(4, activation="softmax", name="arrhythmia")(seq)
model = keras.Model(ecg, arrhythmia, name="ecg_clf")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(8, 64, 1).astype("float32")
y = np.random.randint(0, 4, (8, 1))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
