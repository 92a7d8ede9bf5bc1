"""An end-to-end sentiment model takes raw text (keras.Input dtype string, a TextVectorization layer in the model,
a nested body on the token ids) and is fitted on a NumPy array of strings. TensorFlow runs it; JAX and PyTorch
cannot hold strings in a tensor, and fit fails on the data."""
import numpy as np
import keras
from keras import layers

texts = np.array(["good film", "bad plot", "great cast", "dull", "fine acting", "awful", "nice", "boring end"],
                 dtype=object)
y = np.array([1, 0, 1, 0, 1, 0, 1, 0], dtype="float32")
vectorize = layers.TextVectorization(max_tokens=50, output_sequence_length=4, name="vectorize")
vectorize.adapt(texts)
body = keras.Sequential([keras.Input(shape=(4,)), layers.Embedding(50, 8, name="emb"),
                         layers.GlobalAveragePooling1D(name="pool"),
                         layers.Dense(1, activation="sigmoid", name="positive")], name="body")
raw = keras.Input(shape=(), dtype="string", name="text")
model = keras.Model(raw, body(vectorize(raw)), name="sentiment")
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(texts, y, epochs=1, batch_size=len(texts), verbose=0)
