"""Fixed: the text is turned into token ids outside the model (vectorize(texts)), and the model takes the ids."""
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
ids = keras.Input(shape=(4,), dtype="int32", name="ids")
model = keras.Model(ids, body(ids), name="sentiment")
model.compile(optimizer="adam", loss="binary_crossentropy")
token_ids = keras.ops.convert_to_numpy(vectorize(texts))
model.fit(token_ids, y, epochs=1, batch_size=len(texts), verbose=0)
