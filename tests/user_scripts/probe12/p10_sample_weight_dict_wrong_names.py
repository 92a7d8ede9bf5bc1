# After keras-team/keras#12404 and tensorflow/tensorflow#54697: per-output sample weights given as a dict keyed by
# the names the user thinks of ("main", "aux") instead of the model's output names.
import keras
import numpy as np
from keras import layers as L

ids = keras.Input((None,), dtype="int32")
reader = keras.Model(ids, L.LSTM(16)(L.Embedding(100, 8)(ids)), name="reader")
doc = keras.Input((None,), dtype="int32", name="doc")
h = reader(doc)
topic = L.Dense(5, activation="softmax", name="topic")(h)
spam = L.Dense(1, activation="sigmoid", name="spam")(h)
model = keras.Model(doc, [topic, spam], name="mailbox")
model.compile("adam", loss=["sparse_categorical_crossentropy", "binary_crossentropy"])
X = np.random.randint(1, 100, (32, 15))
y_topic = np.random.randint(0, 5, (32,))
y_spam = np.random.randint(0, 2, (32, 1))
w = {"main": np.ones(32), "aux": np.full(32, 0.3)}
model.fit(X, [y_topic, y_spam], sample_weight=w, epochs=1, verbose=0)
