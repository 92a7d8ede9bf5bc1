# After keras-team/keras#20036 and keras-team/keras#14522 (dict inputs vs Input names): a two-input model whose Inputs
# are named "title_ids" and "body_ids", fed a tf.data pipeline whose feature dict uses the CSV column names
# "title" and "body".
import keras
import numpy as np
import tensorflow as tf
from keras import layers as L

ids = keras.Input((None,), dtype="int32")
text_enc = keras.Model(ids, L.GlobalAveragePooling1D()(L.Embedding(200, 16)(ids)), name="text_enc")
title = keras.Input((None,), dtype="int32", name="title_ids")
body = keras.Input((None,), dtype="int32", name="body_ids")
h = L.Concatenate()([text_enc(title), text_enc(body)])
model = keras.Model({"title_ids": title, "body_ids": body}, L.Dense(1, activation="sigmoid")(h), name="news")
model.compile("adam", "binary_crossentropy")
features = {"title": np.random.randint(1, 200, (32, 8)), "body": np.random.randint(1, 200, (32, 40))}
labels = np.random.randint(0, 2, (32, 1))
ds = tf.data.Dataset.from_tensor_slices((features, labels)).batch(8)
model.fit(ds, epochs=1, verbose=0)
