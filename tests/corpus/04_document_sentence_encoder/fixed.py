"""Document classifier: a sentence encoder (ids -> vector) applied to a whole document of sentences."""
import numpy as np
import keras
from keras import layers

sentence_encoder = keras.Sequential(
    [
        layers.Embedding(300, 16, name="word_emb"),
        layers.LSTM(16, name="word_lstm"),
    ],
    name="sentence_encoder",
)

doc = keras.Input(shape=(6, 20), dtype="int32", name="doc")
sentence_vectors = layers.TimeDistributed(sentence_encoder)(doc)
doc_vector = layers.LSTM(16, name="sent_lstm")(sentence_vectors)
label = layers.Dense(4, activation="softmax", name="topic")(doc_vector)
model = keras.Model(doc, label, name="han")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

x = np.random.randint(1, 300, size=(4, 6, 20)).astype("int32")
y = np.random.randint(0, 4, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
