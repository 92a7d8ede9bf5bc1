"""Intent classifier: a Bidirectional GRU(32) encoder (output width 64) feeds a classifier head built for width 32."""
import numpy as np
import keras
from keras import layers

frames_in = keras.Input(shape=(20, 13), name="mfcc_in")
encoder = keras.Model(
    frames_in, layers.Bidirectional(layers.GRU(32), name="bigru")(frames_in), name="encoder"
)

classifier = keras.Sequential(
    [
        keras.Input(shape=(64,), name="utterance_vec"),
        layers.Dense(16, activation="relu", name="hidden"),
        layers.Dense(6, activation="softmax", name="intent"),
    ],
    name="classifier",
)

mfcc = keras.Input(shape=(20, 13), name="mfcc")
model = keras.Model(mfcc, classifier(encoder(mfcc)), name="intent_model")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 20, 13).astype("float32")
y = np.random.randint(0, 6, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
