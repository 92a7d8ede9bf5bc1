"""Fixed: the vocabulary size comes first, layers.Embedding(text_vocabulary_size, 64)."""
import numpy as np
import keras
from keras import layers

text_vocabulary_size = 500
texts = np.random.randint(1, text_vocabulary_size, (8, 30)).astype("int32")
questions = np.random.randint(1, text_vocabulary_size, (8, 10)).astype("int32")
answers = keras.utils.to_categorical(np.random.randint(0, 5, 8), 5)
text_encoder = keras.Sequential([
    keras.Input(shape=(30,), dtype="int32"),
    layers.Embedding(text_vocabulary_size, 64, name="emb"),
    layers.LSTM(32, name="lstm"),
], name="text_encoder")
text_input = keras.Input(shape=(30,), dtype="int32", name="text")
question_input = keras.Input(shape=(10,), dtype="int32", name="question")
q = layers.LSTM(16, name="q_lstm")(layers.Embedding(text_vocabulary_size, 32, name="q_emb")(question_input))
merged = layers.Concatenate(name="merged")([text_encoder(text_input), q])
answer = layers.Dense(5, activation="softmax", name="answer")(merged)
model = keras.Model([text_input, question_input], answer, name="qa")
model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
model.fit([texts, questions], answers, epochs=1, batch_size=len(texts), verbose=0)
